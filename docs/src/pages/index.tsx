import Link from '@docusaurus/Link';
import Heading from '@theme/Heading';
import Layout from '@theme/Layout';

const sections = [
  {
    title: 'The blog series',
    to: '/blog',
    text: 'From scaled dot-product attention to sparse, adaptive, linear and 1-bit variants, with live figures computed by the library in your browser.',
  },
  {
    title: 'Guides',
    to: '/docs/getting-started',
    text: 'Install one package and run sparse attention in ten lines; one page per package; a decision table for choosing a mechanism.',
  },
  {
    title: 'API reference',
    to: '/docs/api',
    text: 'Every export of every package, generated from its TSDoc, with examples and links to the papers.',
  },
];

export default function Home() {
  return (
    <Layout
      title="Efficient attention for TensorFlow.js"
      description="Attention mechanisms that beat O(N²) for TensorFlow.js: positional encodings, sparse masks, adaptive spans, linear attention and BitNet."
    >
      <header className="hero hero--primary">
        <div className="container text--center">
          <Heading as="h1" className="hero__title">
            Efficient Attention
          </Heading>
          <p className="hero__subtitle hero-tagline">
            Attention mechanisms that beat O(N²), for TensorFlow.js — in the browser and in Node.
          </p>
          <Link className="button button--secondary button--lg" to="/docs/getting-started">
            Get started
          </Link>
        </div>
      </header>
      <main className="container margin-vert--lg">
        <div className="row">
          {sections.map((s) => (
            <section key={s.title} className="col col--4 margin-bottom--lg">
              <Heading as="h2">
                <Link to={s.to}>{s.title}</Link>
              </Heading>
              <p>{s.text}</p>
            </section>
          ))}
        </div>
      </main>
    </Layout>
  );
}
