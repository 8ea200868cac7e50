// Reads the binary columns of GET .../trials/columns (app/api/columns_binary.py) into views onto
// the answer's bytes: no parsing and no object per trial. "HZC1", the header's length (uint32),
// the header (JSON), then 8-byte aligned little-endian arrays at the offsets it names.
export const COLUMNS_TYPE = "application/vnd.hyperzoom.columns";

const ARRAYS = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// A column: a typed array (NaN where the JSON answer has null), or for a dictionary-encoded one
// {codes, values}: cell i is values[codes[i]], code -1 being null.
function column(buffer, start, n, spec) {
  const Type = ARRAYS[spec.dtype];
  if (!Type) throw new Error(`unknown column type ${spec.dtype}`);
  const array = new Type(buffer, start + spec.offset, n);
  return spec.values ? { codes: array, values: spec.values } : array;
}

function columnsOf(buffer, start, n, specs) {
  const out = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = column(buffer, start, n, spec);
  return out;
}

// The answer (an ArrayBuffer) as the JSON answer's fields, each column as above.
export function readColumns(buffer) {
  if (!LITTLE) throw new Error("binary columns need a little-endian machine");
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "HZC1") throw new Error("not binary trial columns");
  const length = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length)));
  const start = Math.ceil((8 + length) / 8) * 8;
  const { n } = header;
  return {
    ...columnsOf(buffer, start, n, header.columns),
    params: columnsOf(buffer, start, n, header.params),
    metrics: columnsOf(buffer, start, n, header.metrics),
    cursor: header.cursor,
    metrics_omitted: header.metrics_omitted,
    notes: header.notes,
  };
}

// A column's cell i, whichever way it came: a JSON array, a typed array or dictionary codes.
export function cellReader(values) {
  if (Array.isArray(values)) return (i) => values[i];
  if (values.codes) {
    const { codes, values: dictionary } = values;
    return (i) => (codes[i] < 0 ? null : dictionary[codes[i]]);
  }
  if (values instanceof Float64Array || values instanceof Float32Array) {
    return (i) => (Number.isNaN(values[i]) ? null : values[i]);
  }
  return (i) => values[i];
}

// Whether any cell of a column is a number.
export function holdsNumber(values) {
  if (Array.isArray(values)) return values.some((v) => typeof v === "number");
  if (values.codes) return values.values.some((v) => typeof v === "number");
  return values.some((v) => !Number.isNaN(v));
}
