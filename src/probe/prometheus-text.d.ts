/** parse-prometheus-text-format ships no types; the shape we rely on is narrowed in probe/scrape.ts. */
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
