// What the demo creates, in one place: `npm run demo` makes these and leaves them running,
// `npm run demo -- --clean` removes exactly these and nothing else.
export const DEMO_NAMESPACE = 'mobileforge-demo';
export const DEMO_PIPELINE = 'acme-demo';
/**
 * The demo pipeline's topic and consumer-group prefix: the test suites, benchmarks and other
 * pipelines on the same Kafka never use it, so a demo left running meets none of them.
 */
export const DEMO_TOPIC_PREFIX = 'mobileforge-demo.';
export const DEMO_DATABASES = { insights: 'mobileforge_demo_insights', sync: 'mobileforge_demo_sync' } as const;
export const DEMO_MONGO_DATABASE = 'mobileforge_demo';
