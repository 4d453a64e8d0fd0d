// Batched matrix product out[z] = A[z] x B[z]. Each invocation owns a 4x4 block of outputs and
// walks K on its own, reading operands straight from storage: no workgroup memory and no
// barriers, which are costly on SwiftShader (a real GPU's caches serve the overlapping reads of
// neighbouring invocations). A workgroup of 8x8 invocations covers a 32x32 output tile.
//
// Transposes and batch broadcasting are strides: A[m, k] = a[aOff + m*aRow + k*aCol],
// B[k, n] = b[bOff + k*bRow + n*bCol]; batch z decodes over `batchShape` into per-operand batch
// strides (0 on broadcast axes). The layout of each operand is an override constant (TRANS_A,
// TRANS_B), and the host picks one of four entry points by which operands may be read as vec4
// along their contiguous axis (A: K, or M when transposed; B: N, or K when transposed): that
// axis's extent must be a multiple of 4. `main` reads single floats and takes any shape.
//
// The 4x4 blocks are held transposed, as mat4x4 whose column i is row i of the block, so one
// K step of 4 is acc += B4^T x A4^T with B4^T[j] = B[k+j, n0..n0+3], A4^T[i] = A[m0+i, k..k+3].

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

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

/** Where one invocation's block lies: rows m0.., cols n0.., operand offsets, element offsets of
 * its four A rows (clamped to M-1) and four B columns (clamped to N-1). */
struct Block {
  m0: u32,
  n0: u32,
  outBase: u32,
  aRows: vec4<u32>,
  bCols: vec4<u32>,
  live: bool,
}

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

fn block(wg: vec3<u32>, lid: vec3<u32>) -> Block {
  var rest = wg.z;
  var aOff = 0u;
  var bOff = 0u;
  for (var d = i32(p.batchRank) - 1; d >= 0; d--) {
    let extent = dim(p.batchShape, u32(d));
    let c = rest % extent;
    rest = rest / extent;
    aOff += c * dim(p.aBatch, u32(d));
    bOff += c * dim(p.bBatch, u32(d));
  }
  var blk: Block;
  blk.m0 = wg.y * 32u + lid.y * 4u;
  blk.n0 = wg.x * 32u + lid.x * 4u;
  blk.outBase = wg.z * p.M * p.N;
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
    let step = p.aCol / 4u;
    return transpose(mat4x4<f32>(a4[base], a4[base + step], a4[base + 2u * step], a4[base + 3u * step]));
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
  let step = p.bRow / 4u;
  return mat4x4<f32>(b4[base], b4[base + step], b4[base + 2u * step], b4[base + 3u * step]);
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
  return vec4<f32>(a4[i.x / 4u][i.x % 4u], a4[i.y / 4u][i.y % 4u], a4[i.z / 4u][i.z % 4u], a4[i.w / 4u][i.w % 4u]);
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
  return vec4<f32>(b4[i.x / 4u][i.x % 4u], b4[i.y / 4u][i.y % 4u], b4[i.z / 4u][i.z % 4u], b4[i.w / 4u][i.w % 4u]);
}

/** acc += colA (x) rowB: one K step as a rank-1 update. */
fn rank1(acc: ptr<function, mat4x4<f32>>, ca: vec4<f32>, rb: vec4<f32>) {
  (*acc)[0] += ca.x * rb;
  (*acc)[1] += ca.y * rb;
  (*acc)[2] += ca.z * rb;
  (*acc)[3] += ca.w * rb;
}

fn store(blk: Block, acc: mat4x4<f32>) {
  for (var i = 0u; i < 4u; i++) {
    let m = blk.m0 + i;
    if (m >= p.M) { return; }
    let o = blk.outBase + m * p.N + blk.n0;
    for (var j = 0u; j < 4u; j++) {
      if (blk.n0 + j < p.N) { out[o + j] = acc[i][j]; }
    }
  }
}

// Single-float reads of both operands: any shape.
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = block(wg, lid);
  if (!blk.live) { return; }
  var acc = mat4x4<f32>();
  for (var k = 0u; k + 4u <= p.K; k += 4u) { acc += blockB(blk, k) * blockA(blk, k); }
  for (var k = p.K & ~3u; k < p.K; k++) { rank1(&acc, colA(blk, k), rowB(blk, k)); }
  store(blk, acc);
}

// Vec4 reads of A.
@compute @workgroup_size(8, 8)
fn mainA4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = block(wg, lid);
  if (!blk.live) { return; }
  var acc = mat4x4<f32>();
  for (var k = 0u; k + 4u <= p.K; k += 4u) { acc += blockB(blk, k) * blockA4(blk, k); }
  for (var k = p.K & ~3u; k < p.K; k++) { rank1(&acc, colA4(blk, k), rowB(blk, k)); }
  store(blk, acc);
}

// Vec4 reads of B.
@compute @workgroup_size(8, 8)
fn mainB4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = block(wg, lid);
  if (!blk.live) { return; }
  var acc = mat4x4<f32>();
  for (var k = 0u; k + 4u <= p.K; k += 4u) { acc += blockB4(blk, k) * blockA(blk, k); }
  for (var k = p.K & ~3u; k < p.K; k++) { rank1(&acc, colA(blk, k), rowB4(blk, k)); }
  store(blk, acc);
}

// Vec4 reads of both operands.
@compute @workgroup_size(8, 8)
fn mainA4B4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blk = block(wg, lid);
  if (!blk.live) { return; }
  var acc = mat4x4<f32>();
  for (var k = 0u; k + 4u <= p.K; k += 4u) { acc += blockB4(blk, k) * blockA4(blk, k); }
  for (var k = p.K & ~3u; k < p.K; k++) { rank1(&acc, colA4(blk, k), rowB4(blk, k)); }
  store(blk, acc);
}
