// parse-prometheus-text-format ships no types; the tests only need its one function.
declare module 'parse-prometheus-text-format' {
  export default function parse(text: string): unknown[];
}
