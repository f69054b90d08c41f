// Generated with torch 2.15.0+cu132, float64 by
// `python3 tests/data/generate_torch_ops.py > tests/data/torch_ops.rs` (from crates/tape);
// do not edit by hand. See tests/data/README.md.

/// The torch version and dtype that produced these numbers.
pub const SOURCE: &str = "torch 2.15.0+cu132, float64";

/// `torch.nn.functional.logsigmoid(x)`; loss = sum(y * w).
pub const LOG_SIGMOID_X: [f64; 11] = [-800.0, -50.0, -20.0, -1.0, -0.001, 0.0, 0.001, 1.0, 20.0, 50.0, 800.0];
pub const LOG_SIGMOID_W: [f64; 11] = [0.75, -1.5, 2.25, 0.3, -0.6, 1.1, 1.7, -0.9, 0.45, 2.5, -1.3];
/// The values y = ln σ(x).
pub const LOG_SIGMOID_Y: [f64; 11] = [-800.0, -50.0, -20.000000002061153, -1.3132616875182228, -0.6936473055599401, -0.6931471805599453, -0.6926473055599401, -0.31326168751822286, -2.061153620314381e-09, -1.9287498479639178e-22, 0.0];
/// d loss / d x = w · σ(−x).
pub const LOG_SIGMOID_DX: [f64; 11] = [0.75, -1.5, 2.2499999953624044, 0.21931757358900147, -0.30014999998749997, 0.55, 0.8495750000354167, -0.2420472792329956, 9.275191281855915e-10, 4.821874619909794e-22, -0.0];

/// `torch.pow(x, y)`, loss = sum(z * w): x [2, 3] positive, y [2, 3] of both signs.
pub const POW_SAME_X: [[f64; 3]; 2] = [[0.3, 1.2, 0.7], [1.5, 0.4, 2.9]];
pub const POW_SAME_Y: [[f64; 3]; 2] = [[0.3, -1.2, 0.7], [1.5, -0.4, 2.5]];
pub const POW_SAME_W: [[f64; 3]; 2] = [[0.8, -1.1, 1.6], [0.35, 2.2, -0.65]];
/// The values z = x^y.
pub const POW_SAME_Z: [[f64; 3]; 2] = [[0.696845301935949, 0.8034937533355228, 0.779055912670449], [1.8371173070873836, 1.4426999059072136, 14.321713933744102]];
/// d loss / d x = w · y · x^(y−1).
pub const POW_SAME_DX: [[f64; 3]; 2] = [[0.5574762415487592, 0.883843128669075, 1.2464894602727186], [0.6429910574805842, -3.1739397929958697, -8.025098324942817]];
/// d loss / d y = w · x^y · ln x.
pub const POW_SAME_DY: [[f64; 3]; 2] = [[-0.6711862338825426, -0.1611436551805853, -0.4445915583629927], [0.26071043863394805, -2.9082516158486897, -9.911513688304417]];

/// `torch.pow(x, y)`, loss = sum(z * w): x [2, 3] positive, y [3] broadcast over x's rows (dy sums
/// over them).
pub const POW_BROADCAST_X: [[f64; 3]; 2] = [[0.3, 1.2, 0.7], [1.5, 0.4, 2.9]];
pub const POW_BROADCAST_Y: [f64; 3] = [0.8, -1.1, 1.6];
pub const POW_BROADCAST_W: [[f64; 3]; 2] = [[0.5, -1.25, 1.9], [-0.7, 1.3, 0.15]];
/// The values z = x^y.
pub const POW_BROADCAST_Z: [[f64; 3]; 2] = [[0.3816778909618176, 0.8182775371349272, 0.5651410628131079], [1.3831618672225916, 2.7398955659630433, 5.493344008948558]];
/// d loss / d x = w · y · x^(y−1).
pub const POW_BROADCAST_DX: [[f64; 3]; 2] = [[0.5089038546157568, 0.9376096779671041, 2.4543269013597833], [-0.5163804304297676, -9.795126648317881, 0.45462157315436347]];
/// d loss / d y = w · x^y · ln x.
pub const POW_BROADCAST_DY: [f64; 3] = [-0.6223416135824031, -3.4501902304884915, 0.4943372041450361];

/// `torch.pow(x, y)`, loss = sum(z * w): edge cases elementwise: 0^0, 0^1, 0^2, 0^0.5, (-2)^2,
/// (-2)^3, 2^-1. At x = 0 with y >= 0 torch takes dy as 0, and at y = 0 dx as 0; for x < 0, dy is
/// NaN (ln x); 0^0.5 has dx = +inf.
pub const POW_EDGE_X: [f64; 7] = [0.0, 0.0, 0.0, 0.0, -2.0, -2.0, 2.0];
pub const POW_EDGE_Y: [f64; 7] = [0.0, 1.0, 2.0, 0.5, 2.0, 3.0, -1.0];
pub const POW_EDGE_W: [f64; 7] = [1.5, -0.75, 2.0, 0.6, -1.1, 0.9, 1.3];
/// The values z = x^y.
pub const POW_EDGE_Z: [f64; 7] = [1.0, 0.0, 0.0, 0.0, 4.0, -8.0, 0.5];
/// d loss / d x = w · y · x^(y−1).
pub const POW_EDGE_DX: [f64; 7] = [0.0, -0.75, 0.0, f64::INFINITY, 4.4, 10.8, -0.325];
/// d loss / d y = w · x^y · ln x.
pub const POW_EDGE_DY: [f64; 7] = [0.0, -0.0, 0.0, 0.0, f64::NAN, f64::NAN, 0.45054566736396445];
