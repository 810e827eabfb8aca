/**
 * Where each province's capital lies (latitude, longitude in degrees), by the first two digits of
 * a region code: the one place a region is put on the map. A card used in two provinces is taken
 * to have travelled between their capitals — an sscard convention, coarse on purpose: it never
 * calls a trip within a province too fast, and between provinces it errs short.
 */
export const PROVINCE_CENTRES: Readonly<Record<string, readonly [number, number]>> = {
  '11': [39.9, 116.4],
  '12': [39.13, 117.2],
  '13': [38.04, 114.51],
  '14': [37.87, 112.55],
  '15': [40.84, 111.75],
  '21': [41.8, 123.43],
  '22': [43.82, 125.32],
  '23': [45.8, 126.53],
  '31': [31.23, 121.47],
  '32': [32.06, 118.8],
  '33': [30.27, 120.15],
  '34': [31.82, 117.23],
  '35': [26.07, 119.3],
  '36': [28.68, 115.86],
  '37': [36.65, 117.12],
  '41': [34.75, 113.62],
  '42': [30.59, 114.31],
  '43': [28.23, 112.94],
  '44': [23.13, 113.26],
  '45': [22.82, 108.37],
  '46': [20.04, 110.35],
  '50': [29.56, 106.55],
  '51': [30.57, 104.07],
  '52': [26.65, 106.63],
  '53': [25.04, 102.71],
  '54': [29.65, 91.14],
  '61': [34.34, 108.94],
  '62': [36.06, 103.83],
  '63': [36.62, 101.78],
  '64': [38.49, 106.23],
  '65': [43.83, 87.62],
};

/** Great-circle kilometres between the provinces of two region codes; 0 within one province or an unknown one. */
export function provinceDistanceKm(regionA: string, regionB: string): number {
  const a = PROVINCE_CENTRES[regionA.slice(0, 2)];
  const b = PROVINCE_CENTRES[regionB.slice(0, 2)];
  if (!a || !b || regionA.slice(0, 2) === regionB.slice(0, 2)) return 0;
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
