// Parser for Adobe/Resolve .cube 3D LUT files, shared by both demo SDKs.
// Returns {title, size, domainMin, domainMax, table: Float32Array(size^3 * 3)} with red varying fastest.

export class CubeParseError extends Error {}

export function parseCube(text, sourceName = 'cube') {
  let title = '';
  let size = 0;
  let domainMin = [0, 0, 0];
  let domainMax = [1, 1, 1];
  const values = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const key = parts[0];
    if (key === 'TITLE') {
      title = line.slice(5).trim().replace(/^"|"$/g, '');
    } else if (key === 'LUT_3D_SIZE') {
      size = Number.parseInt(parts[1], 10);
      if (!(size >= 2 && size <= 256)) {
        throw new CubeParseError(`${sourceName}:${n + 1}: LUT_3D_SIZE ${parts[1]} not in 2..256`);
      }
    } else if (key === 'LUT_1D_SIZE') {
      throw new CubeParseError(`${sourceName}:${n + 1}: 1D LUTs are not supported, only LUT_3D_SIZE`);
    } else if (key === 'DOMAIN_MIN') {
      domainMin = parts.slice(1, 4).map(Number);
    } else if (key === 'DOMAIN_MAX') {
      domainMax = parts.slice(1, 4).map(Number);
    } else if (/^[-+0-9.]/.test(key)) {
      if (parts.length !== 3) {
        throw new CubeParseError(`${sourceName}:${n + 1}: expected 3 numbers, got "${line}"`);
      }
      for (const p of parts) values.push(Number(p));
    } else {
      throw new CubeParseError(`${sourceName}:${n + 1}: unknown keyword ${key}`);
    }
  }
  if (size === 0) throw new CubeParseError(`${sourceName}: no LUT_3D_SIZE line`);
  if (values.length !== size * size * size * 3) {
    throw new CubeParseError(
      `${sourceName}: ${values.length / 3} table rows, LUT_3D_SIZE ${size} needs ${size ** 3}`);
  }
  if (domainMin.some((v) => v !== 0) || domainMax.some((v) => v !== 1)) {
    throw new CubeParseError(`${sourceName}: only DOMAIN_MIN 0 0 0 / DOMAIN_MAX 1 1 1 are supported`);
  }
  return { title, size, domainMin, domainMax, table: Float32Array.from(values) };
}

export async function loadCube(url) {
  const response = await fetch(url);
  if (!response.ok) throw new CubeParseError(`${url}: HTTP ${response.status}`);
  return parseCube(await response.text(), url);
}
