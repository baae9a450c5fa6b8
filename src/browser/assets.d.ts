// Vite's `?url` imports (the worker uses them for ONNX Runtime's .wasm and .mjs files).
declare module '*?url&no-inline' {
  const url: string;
  export default url;
}
