export function half(value: number) {
  return value / 2 +;
}
