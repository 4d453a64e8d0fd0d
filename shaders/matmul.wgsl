// Batched matrix product out[z] = A[z] x B[z] with 32x32 output tiles per workgroup of 8x8
// threads (4x4 outputs each) and 16-deep K tiles staged in workgroup memory. Transposes and
// batch broadcasting are expressed through strides: A[m, k] = a[aOff + m*aRow + k*aCol],
// B[k, n] = b[bOff + k*bRow + n*bCol]; batch z decodes over `batchShape` into per-operand
// batch strides (0 on broadcast axes). Few barriers per K tile: they are costly on SwiftShader.

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

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> As: array<array<f32, 32>, 16>;
var<workgroup> Bs: array<array<f32, 32>, 16>;

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(8, 8)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
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
  let row0 = wg.y * 32u;
  let col0 = wg.x * 32u;
  var acc = array<vec4<f32>, 4>();
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    for (var e = 0u; e < 8u; e++) {
      let idx = li + e * 64u;
      let kk = idx / 32u;
      let t = idx % 32u;
      let k = k0 + kk;
      let m = row0 + t;
      let n = col0 + t;
      var av = 0.0;
      if (m < p.M && k < p.K) { av = a[aOff + m * p.aRow + k * p.aCol]; }
      As[kk][t] = av;
      var bv = 0.0;
      if (n < p.N && k < p.K) { bv = b[bOff + k * p.bRow + n * p.bCol]; }
      Bs[kk][t] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let r = lid.y * 4u;
      let c = lid.x * 4u;
      let av = vec4<f32>(As[kk][r], As[kk][r + 1u], As[kk][r + 2u], As[kk][r + 3u]);
      let bv = vec4<f32>(Bs[kk][c], Bs[kk][c + 1u], Bs[kk][c + 2u], Bs[kk][c + 3u]);
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  let outBase = wg.z * p.M * p.N;
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + lid.y * 4u + i;
    if (m >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + lid.x * 4u + j;
      if (n < p.N) { out[outBase + m * p.N + n] = acc[i][j]; }
    }
  }
}
