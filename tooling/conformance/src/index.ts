export {
  CONFORMANCE_SHAPE,
  describeMechanismConformance,
  describeRegistryConformance,
} from './mechanism-conformance.js';
