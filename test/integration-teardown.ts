/** Stops what integration-setup started, newest first. */
export default async function teardown(): Promise<void> {
  const stops = (globalThis as { __integrationStops?: (() => Promise<void>)[] }).__integrationStops ?? [];
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('teardown:', err));
}
