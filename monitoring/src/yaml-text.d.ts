// YAML files imported as their text (see default-slo.ts).
declare module '*.yaml' {
  const text: string;
  export default text;
}
