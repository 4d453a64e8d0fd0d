// Batched matrix product out[z] = A[z] x B[z]. Each invocation owns an 8x8 block of outputs, as
// four 4x4 sub-blocks 32 rows / 32 columns apart, and walks K on its own, reading operands
// straight from storage: no workgroup memory and no barriers, which are costly on SwiftShader
// (on a real GPU, caches serve the overlapping reads of neighbouring invocations). A workgroup of
// 8x8 invocations covers a 64x64 output tile (other tile shapes below). The 8x8 block reuses
// each loaded vec4 eight times.
//
// Transposes and batch broadcasting are strides: A[m, k] = a[aOff + m*aRow + k*aCol],
// B[k, n] = b[bOff + k*bRow + n*bCol]; batch z decodes over `batchShape` into per-operand batch
// strides (0 on broadcast axes). The layout of each operand is an override constant (TRANS_A,
// TRANS_B), and the host picks one of four entry points by which operands may be read as vec4
// along their contiguous axis (A: K, or M when transposed; B: N, or K when transposed): that
// axis's extent must be a multiple of 4. `main` reads single floats and takes any shape.
//
// Three kernel shapes (src/backend/webgpu/matmul_chooser.ts picks one per shape class):
//   main*   (tileR) the 8x8 block per invocation above, 64 invocations per workgroup covering
//           R rows by 4096 / R columns: tile64 (64x64), tile32 (32x128), tile16, tile8 (8x512),
//           so a small M wastes at most 7 rows per tile;
//   main*   (wideR, WIDE) an 8x16 block per invocation: two more 4x4 blocks to the right, so each
//           loaded A block feeds four products; 8 x R/8 invocations cover R rows by 128 columns.
//           On SwiftShader the loads, not the multiply-adds, bound the 8x8 kernel (a quarter of
//           its FMAs runs in the same time), and [512,784]x[784,512] takes ~1.5x less time;
//   rows*   (rowsR) R = ROWS output rows (1..4) by 4 columns per invocation, 64 invocations
//           side by side along N: no wasted rows at small M (M = 1 computes one row, not 64).
// Every kernel ends in the same epilogue: out = act(acc + bias[n]), bias and activation chosen
// by override constants (HAS_BIAS, ACT), so a dense layer's forward is one dispatch.
//
// A 4x4 block is held transposed, as a mat4x4 whose column i is row i of the block, so one K step
// of 4 is acc += B4^T x A4^T with B4^T[j] = B[k+j, n0..n0+3] and A4^T[i] = A[m0+i, k..k+3].
// Rows and columns past M and N are clamped on load and skipped on store.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batchRank: u32,
  aRow: u32,
  aCol: u32,
  bRow: u32,
  bCol: u32,
  batchShape: array<vec4<u32>, 2>,
  aBatch: array<vec4<u32>, 2>,
  bBatch: array<vec4<u32>, 2>,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
/** main* kernels: invocations per workgroup along N and M (TILE_X * TILE_Y = 64); the tile is
 * 8 TILE_Y rows by 8 TILE_X columns (tile64: 8 x 8; tile8: 1 x 64, an 8 x 512 tile). */
override TILE_X: u32 = 8u;
override TILE_Y: u32 = 8u;
/** main* kernels: 8x16 outputs per invocation instead of 8x8 (wideR kernels: R x 128 tiles). */
override WIDE: bool = false;
/** rows* kernels: output rows per invocation, 1..4. */
override ROWS: u32 = 4;
/** Epilogue: add bias[n] (binding 4; a placeholder is bound otherwise). */
override HAS_BIAS: bool = false;
/** Epilogue activation: 0 linear, 1 relu, 2 relu6, 3 sigmoid, 4 tanh (as shaders/unary.wgsl). */
override ACT: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

/** The fused output pass: act(v + bias[n]), the twin of cpu/matmul.ts epilogue (relu keeps NaN). */
fn epilogue(v: f32, n: u32) -> f32 {
  var y = v;
  if (HAS_BIAS) { y += bias[n]; }
  switch ACT {
    case 1u: { y = select(0.0, y, !(y <= 0.0)); }
    case 2u: { y = select(min(y, 6.0), 0.0, y <= 0.0); }
    case 3u: {
      // exp of a non-positive argument only: no overflow for large |y|.
      let e = exp(-abs(y));
      y = select(e / (1.0 + e), 1.0 / (1.0 + e), y >= 0.0);
    }
    case 4u: { y = select(tanh(y), sign(y), abs(y) > 10.0); }
    default: {}
  }
  return y;
}

/** Where a 4x4 block lies: rows m0.., columns n0.., the element offsets of its four A rows
 * (clamped to M-1) and four B columns (clamped to N-1), and whether any of it is in range. */
struct Block {
  m0: u32,
  n0: u32,
  outBase: u32,
  aRows: vec4<u32>,
  bCols: vec4<u32>,
  live: bool,
}


fn block(m0: u32, n0: u32, z: u32) -> Block {
  var rest = z;
  var aOff = 0u;
  var bOff = 0u;
  for (var d = i32(p.batchRank) - 1; d >= 0; d--) {
    let extent = p.batchShape[u32(d) / 4u][u32(d) % 4u];
    let c = rest % extent;
    rest = rest / extent;
    aOff += c * p.aBatch[u32(d) / 4u][u32(d) % 4u];
    bOff += c * p.bBatch[u32(d) / 4u][u32(d) % 4u];
  }
  var blk: Block;
  blk.m0 = m0;
  blk.n0 = n0;
  blk.outBase = z * p.M * p.N;
  blk.live = blk.m0 < p.M && blk.n0 < p.N;
  let m = min(vec4<u32>(blk.m0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.M - 1u));
  let n = min(vec4<u32>(blk.n0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.N - 1u));
  blk.aRows = vec4<u32>(aOff) + m * p.aRow;
  blk.bCols = vec4<u32>(bOff) + n * p.bCol;
  return blk;
}

/** A[m0+i, k..k+3] as column i, from single floats. */
fn blockA(blk: Block, k: u32) -> mat4x4<f32> {
  let kk = vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u);
  var r: mat4x4<f32>;
  for (var i = 0u; i < 4u; i++) {
    let base = vec4<u32>(blk.aRows[i]) + kk * p.aCol;
    r[i] = vec4<f32>(a[base.x], a[base.y], a[base.z], a[base.w]);
  }
  return r;
}

/** Same as blockA, from vec4 reads along A's contiguous axis. */
fn blockA4(blk: Block, k: u32) -> mat4x4<f32> {
  if (TRANS_A) {
    // A is stored [K, M]: one vec4 holds A[m0..m0+3, k+j].
    let base = blk.aRows.x / 4u + k * (p.aCol / 4u);
    let stride = p.aCol / 4u;
    let cols = mat4x4<f32>(a4[base], a4[base + stride], a4[base + 2u * stride], a4[base + 3u * stride]);
    return transpose(cols);
  }
  // A is stored [M, K]: one vec4 holds A[m0+i, k..k+3].
  let q = (blk.aRows + vec4<u32>(k)) / 4u;
  return mat4x4<f32>(a4[q.x], a4[q.y], a4[q.z], a4[q.w]);
}

/** B[k+j, n0..n0+3] as column j, from single floats. */
fn blockB(blk: Block, k: u32) -> mat4x4<f32> {
  var r: mat4x4<f32>;
  for (var j = 0u; j < 4u; j++) {
    let base = blk.bCols + vec4<u32>((k + j) * p.bRow);
    r[j] = vec4<f32>(b[base.x], b[base.y], b[base.z], b[base.w]);
  }
  return r;
}

/** Same as blockB, from vec4 reads along B's contiguous axis. */
fn blockB4(blk: Block, k: u32) -> mat4x4<f32> {
  if (TRANS_B) {
    // B is stored [N, K]: one vec4 holds B[k..k+3, n0+j].
    let q = (blk.bCols + vec4<u32>(k)) / 4u;
    return transpose(mat4x4<f32>(b4[q.x], b4[q.y], b4[q.z], b4[q.w]));
  }
  // B is stored [K, N]: one vec4 holds B[k+j, n0..n0+3].
  let base = blk.bCols.x / 4u + k * (p.bRow / 4u);
  let stride = p.bRow / 4u;
  return mat4x4<f32>(b4[base], b4[base + stride], b4[base + 2u * stride], b4[base + 3u * stride]);
}

/** A[m0..m0+3, k] (one K step of the K % 4 tail), from single floats. */
fn colA(blk: Block, k: u32) -> vec4<f32> {
  let i = blk.aRows + vec4<u32>(k * p.aCol);
  return vec4<f32>(a[i.x], a[i.y], a[i.z], a[i.w]);
}

/** Same as colA, from the vec4 binding (one vec4 when A is transposed). */
fn colA4(blk: Block, k: u32) -> vec4<f32> {
  let i = blk.aRows + vec4<u32>(k * p.aCol);
  if (TRANS_A) { return a4[i.x / 4u]; }
  return vec4<f32>(a4[i.x / 4u][i.x % 4u], a4[i.y / 4u][i.y % 4u],
    a4[i.z / 4u][i.z % 4u], a4[i.w / 4u][i.w % 4u]);
}

/** B[k, n0..n0+3] (one K step of the K % 4 tail), from single floats. */
fn rowB(blk: Block, k: u32) -> vec4<f32> {
  let i = blk.bCols + vec4<u32>(k * p.bRow);
  return vec4<f32>(b[i.x], b[i.y], b[i.z], b[i.w]);
}

/** Same as rowB, from the vec4 binding (one vec4 unless B is transposed). */
fn rowB4(blk: Block, k: u32) -> vec4<f32> {
  let i = blk.bCols + vec4<u32>(k * p.bRow);
  if (!TRANS_B) { return b4[i.x / 4u]; }
  return vec4<f32>(b4[i.x / 4u][i.x % 4u], b4[i.y / 4u][i.y % 4u],
    b4[i.z / 4u][i.z % 4u], b4[i.w / 4u][i.w % 4u]);
}

/** An invocation's 4x4 blocks: two rows of blocks (4 TILE_Y rows apart) by two columns (4 TILE_X
 * columns apart), or by four when WIDE (t2, t3, b2, b3: 8 and 12 TILE_X columns on). */
struct Tile {
  t0: Block,
  t1: Block,
  t2: Block,
  t3: Block,
  b0: Block,
  b1: Block,
  b2: Block,
  b3: Block,
}

/** Output columns per workgroup column of invocations: 8 per invocation, 16 when WIDE. */
fn tileCols() -> u32 {
  return select(8u, 16u, WIDE) * TILE_X;
}

fn tile(wg: vec3<u32>, lid: vec3<u32>) -> Tile {
  let m0 = wg.y * 8u * TILE_Y + lid.y * 4u;
  let n0 = wg.x * tileCols() + lid.x * 4u;
  let dm = 4u * TILE_Y;
  let dn = 4u * TILE_X;
  let z = wg.z;
  return Tile(block(m0, n0, z), block(m0, n0 + dn, z), block(m0, n0 + 2u * dn, z), block(m0, n0 + 3u * dn, z),
    block(m0 + dm, n0, z), block(m0 + dm, n0 + dn, z), block(m0 + dm, n0 + 2u * dn, z), block(m0 + dm, n0 + 3u * dn, z));
}

/** A K step of one: A[m0+i, k] as column i's first entry; times rowMat() it is a rank-1 update. */
fn colMat(c: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(vec4<f32>(c.x, 0.0, 0.0, 0.0), vec4<f32>(c.y, 0.0, 0.0, 0.0),
    vec4<f32>(c.z, 0.0, 0.0, 0.0), vec4<f32>(c.w, 0.0, 0.0, 0.0));
}

/** A K step of one: B[k, n0..n0+3] as the first column. */
fn rowMat(r: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(r, vec4<f32>(), vec4<f32>(), vec4<f32>());
}

fn store(blk: Block, acc: mat4x4<f32>) {
  if (!blk.live) { return; }
  for (var i = 0u; i < 4u; i++) {
    let m = blk.m0 + i;
    if (m >= p.M) { return; }
    let o = blk.outBase + m * p.N + blk.n0;
    for (var j = 0u; j < 4u; j++) {
      if (blk.n0 + j < p.N) { out[o + j] = epilogue(acc[i][j], blk.n0 + j); }
    }
  }
}

/** Accumulators of two columns of blocks: top and bottom block of each. */
struct Pair {
  t0: mat4x4<f32>,
  t1: mat4x4<f32>,
  b0: mat4x4<f32>,
  b1: mat4x4<f32>,
}

/** A Tile's accumulators: the two left columns of blocks, and the two right ones when WIDE. */
struct Acc {
  left: Pair,
  right: Pair,
}

/** One K step of two columns of blocks: the top and bottom A blocks times B blocks c0, c1. */
fn step(acc: Pair, at: mat4x4<f32>, ab: mat4x4<f32>, c0: mat4x4<f32>, c1: mat4x4<f32>) -> Pair {
  return Pair(acc.t0 + c0 * at, acc.t1 + c1 * at, acc.b0 + c0 * ab, acc.b1 + c1 * ab);
}

fn storePair(t0: Block, t1: Block, b0: Block, b1: Block, acc: Pair) {
  store(t0, acc.t0);
  store(t1, acc.t1);
  store(b0, acc.b0);
  store(b1, acc.b1);
}

fn storeTile(q: Tile, acc: Acc) {
  storePair(q.t0, q.t1, q.b0, q.b1, acc.left);
  if (WIDE) { storePair(q.t2, q.t3, q.b2, q.b3, acc.right); }
}

// Single-float reads of both operands: any shape.
@compute @workgroup_size(TILE_X, TILE_Y)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let q = tile(wg, lid);
  if (!q.t0.live) { return; }
  var acc: Acc;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let at = blockA(q.t0, k);
    let ab = blockA(q.b0, k);
    acc.left = step(acc.left, at, ab, blockB(q.t0, k), blockB(q.t1, k));
    if (WIDE) { acc.right = step(acc.right, at, ab, blockB(q.t2, k), blockB(q.t3, k)); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let at = colMat(colA(q.t0, k));
    let ab = colMat(colA(q.b0, k));
    acc.left = step(acc.left, at, ab, rowMat(rowB(q.t0, k)), rowMat(rowB(q.t1, k)));
    if (WIDE) { acc.right = step(acc.right, at, ab, rowMat(rowB(q.t2, k)), rowMat(rowB(q.t3, k))); }
  }
  storeTile(q, acc);
}

// Vec4 reads of A.
@compute @workgroup_size(TILE_X, TILE_Y)
fn mainA4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let q = tile(wg, lid);
  if (!q.t0.live) { return; }
  var acc: Acc;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let at = blockA4(q.t0, k);
    let ab = blockA4(q.b0, k);
    acc.left = step(acc.left, at, ab, blockB(q.t0, k), blockB(q.t1, k));
    if (WIDE) { acc.right = step(acc.right, at, ab, blockB(q.t2, k), blockB(q.t3, k)); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let at = colMat(colA4(q.t0, k));
    let ab = colMat(colA4(q.b0, k));
    acc.left = step(acc.left, at, ab, rowMat(rowB(q.t0, k)), rowMat(rowB(q.t1, k)));
    if (WIDE) { acc.right = step(acc.right, at, ab, rowMat(rowB(q.t2, k)), rowMat(rowB(q.t3, k))); }
  }
  storeTile(q, acc);
}

// Vec4 reads of B.
@compute @workgroup_size(TILE_X, TILE_Y)
fn mainB4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let q = tile(wg, lid);
  if (!q.t0.live) { return; }
  var acc: Acc;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let at = blockA(q.t0, k);
    let ab = blockA(q.b0, k);
    acc.left = step(acc.left, at, ab, blockB4(q.t0, k), blockB4(q.t1, k));
    if (WIDE) { acc.right = step(acc.right, at, ab, blockB4(q.t2, k), blockB4(q.t3, k)); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let at = colMat(colA(q.t0, k));
    let ab = colMat(colA(q.b0, k));
    acc.left = step(acc.left, at, ab, rowMat(rowB4(q.t0, k)), rowMat(rowB4(q.t1, k)));
    if (WIDE) { acc.right = step(acc.right, at, ab, rowMat(rowB4(q.t2, k)), rowMat(rowB4(q.t3, k))); }
  }
  storeTile(q, acc);
}

// Vec4 reads of both operands.
@compute @workgroup_size(TILE_X, TILE_Y)
fn mainA4B4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let q = tile(wg, lid);
  if (!q.t0.live) { return; }
  var acc: Acc;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let at = blockA4(q.t0, k);
    let ab = blockA4(q.b0, k);
    acc.left = step(acc.left, at, ab, blockB4(q.t0, k), blockB4(q.t1, k));
    if (WIDE) { acc.right = step(acc.right, at, ab, blockB4(q.t2, k), blockB4(q.t3, k)); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let at = colMat(colA4(q.t0, k));
    let ab = colMat(colA4(q.b0, k));
    acc.left = step(acc.left, at, ab, rowMat(rowB4(q.t0, k)), rowMat(rowB4(q.t1, k)));
    if (WIDE) { acc.right = step(acc.right, at, ab, rowMat(rowB4(q.t2, k)), rowMat(rowB4(q.t3, k))); }
  }
  storeTile(q, acc);
}

// ---------------------------------------------------------------------------------------------
// rows* kernels: invocation (x, y) of workgroup (wx, wy, z) computes rows m0 = wy * ROWS ..
// m0 + ROWS - 1 and columns n0 = (wx * 64 + x) * 4 .. n0 + 3. Per K step of 4 it loads B's 4x4
// block once (as blockB: column j = B[k+j, n0..n0+3]) and each row's A[m, k..k+3]: ROWS matrix-
// vector products, 16 * ROWS FMAs per 4 + ROWS loads. Rows of the block past ROWS are not computed.

fn rowsBlock(wg: vec3<u32>, lid: vec3<u32>) -> Block {
  return block(wg.y * ROWS, (wg.x * 64u + lid.x) * 4u, wg.z);
}

/** A[m0+r, k..k+3] from single floats. */
fn rowOfA(blk: Block, r: u32, k: u32) -> vec4<f32> {
  let i = vec4<u32>(blk.aRows[r]) + (vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u)) * p.aCol;
  return vec4<f32>(a[i.x], a[i.y], a[i.z], a[i.w]);
}

/** A[m0+r, k..k+3] as one vec4 (A not transposed, K % 4 == 0). */
fn rowOfA4(blk: Block, r: u32, k: u32) -> vec4<f32> {
  return a4[(blk.aRows[r] + k) / 4u];
}

/** A[m0+r, k] (K tail) from single floats / from the vec4 binding. */
fn elemA(blk: Block, r: u32, k: u32) -> f32 {
  return a[blk.aRows[r] + k * p.aCol];
}

fn elemA4(blk: Block, r: u32, k: u32) -> f32 {
  let i = blk.aRows[r] + k * p.aCol;
  return a4[i / 4u][i % 4u];
}

fn storeRows(blk: Block, acc: array<vec4<f32>, 4>) {
  if (!blk.live) { return; }
  for (var r = 0u; r < ROWS; r++) {
    let m = blk.m0 + r;
    if (m >= p.M) { return; }
    let o = blk.outBase + m * p.N + blk.n0;
    for (var j = 0u; j < 4u; j++) {
      if (blk.n0 + j < p.N) { out[o + j] = epilogue(acc[r][j], blk.n0 + j); }
    }
  }
}

@compute @workgroup_size(64)
fn rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = rowsBlock(wg, lid);
  if (!blk.live) { return; }
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let bk = blockB(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] += bk * rowOfA(blk, r, k); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let bk = rowB(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] = fma(vec4<f32>(elemA(blk, r, k)), bk, acc[r]); }
  }
  storeRows(blk, acc);
}

@compute @workgroup_size(64)
fn rowsA4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = rowsBlock(wg, lid);
  if (!blk.live) { return; }
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let bk = blockB(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] += bk * rowOfA4(blk, r, k); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let bk = rowB(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] = fma(vec4<f32>(elemA4(blk, r, k)), bk, acc[r]); }
  }
  storeRows(blk, acc);
}

@compute @workgroup_size(64)
fn rowsB4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = rowsBlock(wg, lid);
  if (!blk.live) { return; }
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let bk = blockB4(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] += bk * rowOfA(blk, r, k); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let bk = rowB4(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] = fma(vec4<f32>(elemA(blk, r, k)), bk, acc[r]); }
  }
  storeRows(blk, acc);
}

@compute @workgroup_size(64)
fn rowsA4B4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = rowsBlock(wg, lid);
  if (!blk.live) { return; }
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k + 4u <= p.K; k += 4u) {
    let bk = blockB4(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] += bk * rowOfA4(blk, r, k); }
  }
  for (var k = p.K & ~3u; k < p.K; k++) {
    let bk = rowB4(blk, k);
    for (var r = 0u; r < ROWS; r++) { acc[r] = fma(vec4<f32>(elemA4(blk, r, k)), bk, acc[r]); }
  }
  storeRows(blk, acc);
}
