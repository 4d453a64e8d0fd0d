// The per-step accumulation of a fit epoch, one invocation:
//   sums[0] += loss[0] * rows;  sums[1] += correct[0] * rows (when HAS_CORRECT);  sums[2] += flag[0]
// (flag is the fit's sticky non-finite flag: sums[2] counts the skipped steps).

struct Params {
  rows: f32,
  hasCorrect: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> loss: array<f32>;
@group(0) @binding(2) var<storage, read> correct: array<f32>;
@group(0) @binding(3) var<storage, read> flag: array<f32>;
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(1)
fn main() {
  sums[0] = sums[0] + loss[0] * p.rows;
  if (p.hasCorrect != 0u) {
    sums[1] = sums[1] + correct[0] * p.rows;
  }
  sums[2] = sums[2] + flag[0];
}
