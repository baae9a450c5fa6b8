// Vite's `?url` imports (the worker uses one for ONNX Runtime's .wasm file).
declare module '*?url&no-inline' {
  const url: string;
  export default url;
}
