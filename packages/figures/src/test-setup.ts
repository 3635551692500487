import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// The first figure of a run imports tfjs and our packages on demand, which takes seconds on a busy machine.
configure({ asyncUtilTimeout: 20_000 });

// Unmount what each test rendered, so that the next one starts from an empty document.
afterEach(() => cleanup());
