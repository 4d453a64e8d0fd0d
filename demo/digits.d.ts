/** Served by demo/digits_plugin.ts. */
declare module 'virtual:digits' {
  /** Image side (14): images are width x width bytes, row-major, 0..255. */
  export const width: number;
  export const count: number;
  /** base64 of count * width * width bytes. */
  export const pixels: string;
  /** base64 of count bytes, digits 0..9. */
  export const labels: string;
}
