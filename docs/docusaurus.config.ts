import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Preset from '@docusaurus/preset-classic';
import type { Config } from '@docusaurus/types';
import { themes as prismThemes } from 'prism-react-renderer';
import rehypeKatex from 'rehype-katex';
import remarkMath from 'remark-math';
import { experimentResultsPlugin } from './src/plugins/experiment-results';
import rehypeScrollRegions from './src/plugins/rehype-scroll-regions';
import { sourceConditionPlugin } from './src/plugins/source-condition';

const require = createRequire(import.meta.url);

/** Packages whose TSDoc becomes the API reference (docusaurus-plugin-typedoc, one section per package). */
const documentedPackages = [
  'core',
  'encodings',
  'sparse-masks',
  'adaptive',
  'linear-attention',
  'bitnet',
  'backends',
  'transformer',
  'all',
];

/** VS Code's dark theme with comments lightened to pass WCAG AA contrast (4.5:1) on its background. */
const accessibleVsDark = {
  ...prismThemes.vsDark,
  styles: prismThemes.vsDark.styles.map((s) =>
    s.style.color === '#808080' ? { ...s, style: { ...s.style, color: '#a6a6a6' } } : s,
  ),
};

/**
 * TypeDoc runs on every build and start. `EA_DOCS_REUSE_API=1` reuses the pages it generated last time
 * (guides/api) — for quick local iterations on prose; CI never sets it.
 */
const reuseApi =
  process.env.EA_DOCS_REUSE_API === '1' && existsSync(new URL('./guides/api/index.md', import.meta.url));

const config: Config = {
  title: 'Efficient Attention',
  tagline: 'Attention mechanisms that beat O(N²), for TensorFlow.js — in the browser and in Node.',
  favicon: 'img/logo.svg',
  url: 'https://efficient-attention.dev',
  baseUrl: '/',
  trailingSlash: false,
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'throw',
  onDuplicateRoutes: 'throw',
  // The v4 flags, except CSS cascade layers: with them, Infima's variables outrank custom.css.
  future: {
    v4: {
      removeLegacyPostBuildHeadAttribute: true,
      useCssCascadeLayers: false,
      siteStorageNamespacing: true,
      fasterByDefault: true,
      mdx1CompatDisabledByDefault: true,
    },
    faster: true,
  },
  i18n: { defaultLocale: 'en', locales: ['en'] },
  markdown: { format: 'detect', mermaid: false, hooks: { onBrokenMarkdownLinks: 'throw' } },
  clientModules: [require.resolve('katex/dist/katex.min.css')],
  presets: [
    [
      'classic',
      {
        docs: {
          path: 'guides',
          routeBasePath: 'docs',
          sidebarPath: './sidebars.ts',
          remarkPlugins: [remarkMath],
          rehypePlugins: [rehypeKatex, rehypeScrollRegions],
        },
        blog: {
          path: 'blog',
          showReadingTime: true,
          blogSidebarTitle: 'The series',
          feedOptions: {
            type: ['rss', 'atom'],
            xslt: true,
            copyright: 'Efficient Attention contributors, MIT',
          },
          remarkPlugins: [remarkMath],
          rehypePlugins: [rehypeKatex, rehypeScrollRegions],
          onInlineTags: 'throw',
          onInlineAuthors: 'throw',
          onUntruncatedBlogPosts: 'throw',
        },
        theme: { customCss: './src/css/custom.css' },
      } satisfies Preset.Options,
    ],
  ],
  plugins: [
    sourceConditionPlugin,
    experimentResultsPlugin,
    !reuseApi && [
      'docusaurus-plugin-typedoc',
      {
        entryPoints: documentedPackages.map((name) => `../packages/${name}`),
        entryPointStrategy: 'packages',
        packageOptions: { entryPoints: ['src/index.ts'], disableSources: true, readme: 'none' },
        out: './guides/api',
        readme: 'none',
        entryFileName: 'index',
        excludePrivate: true,
        excludeInternal: true,
        hideBreadcrumbs: true,
        useCodeBlocks: true,
        parametersFormat: 'table',
        validation: { invalidLink: false, notExported: false },
        logLevel: 'Warn',
        sidebar: { pretty: true },
      },
    ],
  ],
  themes: [
    [
      '@easyops-cn/docusaurus-search-local',
      {
        hashed: true,
        indexDocs: true,
        indexBlog: true,
        indexPages: false,
        docsRouteBasePath: 'docs',
        docsDir: 'guides',
        blogRouteBasePath: 'blog',
        highlightSearchTermsOnTargetPage: false,
        explicitSearchResultPath: true,
      },
    ],
  ],
  themeConfig: {
    colorMode: { defaultMode: 'light', respectPrefersColorScheme: true },
    navbar: {
      title: 'Efficient Attention',
      logo: { alt: 'Efficient Attention logo', src: 'img/logo.svg' },
      items: [
        { type: 'docSidebar', sidebarId: 'guides', position: 'left', label: 'Guides' },
        { type: 'docSidebar', sidebarId: 'api', position: 'left', label: 'API' },
        { to: '/blog', label: 'Blog', position: 'left' },
      ],
    },
    footer: {
      style: 'dark',
      links: [
        {
          title: 'Learn',
          items: [
            { label: 'Getting started', to: '/docs/getting-started' },
            { label: 'Choosing a mechanism', to: '/docs/choosing-a-mechanism' },
            { label: 'API reference', to: '/docs/api' },
          ],
        },
        {
          title: 'Blog',
          items: [
            { label: 'The series', to: '/blog' },
            { label: 'RSS', href: 'pathname:///blog/rss.xml' },
          ],
        },
      ],
      copyright: 'Efficient Attention contributors. MIT licensed. Built with Docusaurus.',
    },
    prism: { theme: prismThemes.vsLight, darkTheme: accessibleVsDark, additionalLanguages: ['bash'] },
  } satisfies Preset.ThemeConfig,
};

export default config;
