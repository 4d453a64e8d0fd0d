// Index-driven copies. `gather`: rows of x (row length `row`) picked by i32 indices.
// `one_hot`: out[i, j] = 1 when indices[i] == j exactly, else 0 (out of range or not a whole
// number: a zero row, as the CPU twin; the sparse loss turns that row into NaN).

struct Params {
  n: u32,
  row: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> ind: array<f32>;
@group(0) @binding(2) var<storage, read_write> hot: array<f32>;

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let r = i / p.row;
  out[i] = x[u32(idx[r]) * p.row + i % p.row];
}

@compute @workgroup_size(256)
fn one_hot(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  hot[i] = select(0.0, 1.0, ind[i / p.row] == f32(i % p.row));
}

// `gather_two`: `gather` of two tensors with the same row indices in one dispatch (a training
// batch's inputs and targets); q.n / q.n2 elements, rows of q.row / q.row2.
struct Pair {
  n: u32,
  row: u32,
  n2: u32,
  row2: u32,
}

@group(0) @binding(0) var<uniform> q: Pair;
@group(0) @binding(4) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> out2: array<f32>;

@compute @workgroup_size(256)
fn gather_two(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < q.n) {
    out[i] = x[u32(idx[i / q.row]) * q.row + i % q.row];
  }
  if (i < q.n2) {
    out2[i] = y[u32(idx[i / q.row2]) * q.row2 + i % q.row2];
  }
}
