// Generated with torch 2.15.0+cu132, float64 by
// `python3 tests/data/generate_torch_layers.py > tests/data/torch_layers.rs` (from crates/nn);
// do not edit by hand. See tests/data/README.md.

/// The torch version and dtype that produced these numbers.
pub const SOURCE: &str = "torch 2.15.0+cu132, float64";

/// `torch.nn.LayerNorm(5, eps=LN_EPS)` over the last dim of LN_X [4, 5], weight LN_GAMMA, bias
/// LN_BETA: y = (x − mean) / sqrt(var + eps) · gamma + beta, with the mean and the biased variance
/// of each row; gradients of sum(y · LN_DY).
pub const LN_X: [[f64; 5]; 4] = [[-0.1543, 0.0141, -1.2786, 0.3377, 2.7003], [3.1395, -0.2528, 0.7562, -0.1903, -2.2486], [3.3851, 1.1821, 0.1396, -3.4964, -0.6232], [3.2473, -0.8262, 1.5605, -0.0381, 0.9633]];
pub const LN_GAMMA: [f64; 5] = [1.0719, 1.0468, 0.9338, 0.9667, 1.3726];
pub const LN_BETA: [f64; 5] = [0.1549, 0.3809, 0.8064, 0.7244, 0.2245];
pub const LN_EPS: f64 = 1e-05;
/// The upstream gradient: loss = sum(y · LN_DY).
pub const LN_DY: [[f64; 5]; 4] = [[1.5856, 0.5263, 1.4205, -0.2735, 0.6179], [-1.0039, -0.1996, 0.9333, -0.0621, 0.7096], [-0.702, -0.8898, 0.2004, 1.0493, 0.1818], [-1.3149, -1.0101, -1.0287, 0.3347, -1.0883]];
/// The output y.
pub const LN_Y: [[f64; 5]; 4] = [[-0.23725789930078722, 0.13280807588667887, -0.33855196348856725, 0.7346519520968282, 2.720393917544172], [1.931425154027647, 0.08547129915943033, 1.0815769821531303, 0.48612221126691885, -1.7291758110343018], [1.7083171550275218, 0.8751783812994025, 0.8155774196273822, -0.8249787788391972, -0.22636666019549637], [1.8918548553809478, -0.9722386224091156, 1.1931437335327055, 0.019629425825219673, 0.20677249589398897]];
/// d loss / d x.
pub const LN_DX: [[f64; 5]; 4] = [[0.6167488170229438, -0.24561792900485413, 0.2207342022227582, -0.8376647317157461, 0.2457996414748984], [-0.13439684148684414, -0.2683206915966288, 0.5367440428367444, -0.17157835282086908, 0.03755184306759772], [0.10293504488041239, -0.2569000229127356, 0.10647266318898577, 0.010454072797398333, 0.03703824204593898], [0.004612887783662811, -0.3817307695746328, 0.061353983255671096, 0.7292705005153095, -0.4135066019800111]];
/// d loss / d gamma.
pub const LN_DGAMMA: [f64; 5] = [-5.391995474791875, 0.8171505615611161, -1.890753598718955, -1.9133720099621667, 0.06790746032029259];
/// d loss / d beta.
pub const LN_DBETA: [f64; 5] = [-1.4351999999999998, -1.5732000000000002, 1.5255, 1.0484, 0.42100000000000004];

/// `torch.nn.BatchNorm1d(3, eps=BN_EPS, momentum=BN_MOMENTUM)`, weight BN_GAMMA, bias BN_BETA,
/// running stats starting at mean 0 and var 1. Training mode normalises each column of BN_X [6, 3]
/// with its batch mean and biased variance, and updates running = (1 − momentum) · running +
/// momentum · batch stat, with the unbiased variance (n − 1) for running_var.
pub const BN_X: [[f64; 3]; 6] = [[0.5282, -0.4368, 2.4443], [3.7765, -2.3162, 0.3368], [0.4703, -0.2661, 0.787], [2.0547, -2.6451, 3.3141], [-1.0176, -2.3113, 4.1496], [0.8582, -0.683, 1.9287]];
pub const BN_GAMMA: [f64; 3] = [1.4915, 1.0553, 1.2733];
pub const BN_BETA: [f64; 3] = [-0.146, -0.0439, 0.0295];
pub const BN_EPS: f64 = 1e-05;
pub const BN_MOMENTUM: f64 = 0.1;
/// The upstream gradient of the first (training) forward: loss = sum(y · BN_DY).
pub const BN_DY: [[f64; 3]; 6] = [[-1.4741, -2.307, 0.0625], [-1.2116, -1.0428, -0.0438], [0.3776, 0.1667, 0.1284], [-0.5614, -0.2703, -0.5151], [1.1116, 0.5307, -0.47], [0.822, -0.0861, -0.2]];
/// The first training forward's output.
pub const BN_Y: [[f64; 3]; 6] = [[-0.7296679555633246, 1.0236808404490663, 0.30133601755387507], [2.5194742341307954, -0.9702023583252768, -1.7143600136246526], [-0.7875829673489632, 1.20477898987483, -1.283770996667797], [0.7972278214794589, -1.3191372226845837, 1.133247005890332], [-2.2758687365346546, -0.9650038760043267, 1.9323521228771223], [-0.3995823961633125, 0.7624836266902905, -0.19180413602887653]];
/// d loss / d x through the batch statistics.
pub const BN_DX: [[f64; 3]; 6] = [[-1.5685167237514326, -1.6608604803054834, 0.26516835922164006], [0.08606710331692385, -0.7952649982297267, -0.13256366581690987], [0.2588510931568189, 1.0067227912289487, 0.09537949040552612], [-0.0014188118960195546, -0.05894187937005857, -0.16508115455788655], [0.35542163939691984, 0.8753244009186198, -0.004574334159231996], [0.8695956997767889, 0.6330201657576994, -0.058328695093137366]];
/// d loss / d gamma.
pub const BN_DGAMMA: [f64; 3] = [-3.832987122631361, -1.423641569225955, -1.173229348589374];
/// d loss / d beta.
pub const BN_DBETA: [f64; 3] = [-0.9358999999999997, -3.0088, -1.038];
/// The running mean after the first training forward.
pub const BN_RUNNING_MEAN: [f64; 3] = [0.11117166666666667, -0.14430833333333334, 0.21600833333333333];
/// The running variance (unbiased) after the first training forward.
pub const BN_RUNNING_VAR: [f64; 3] = [1.1668090997666667, 1.0187319909666668, 1.1126793669666668];
/// The input of a second training forward.
pub const BN_X2: [[f64; 3]; 6] = [[-1.5242, 1.0062, 1.3188], [-0.339, -0.5823, -0.2963], [-0.1758, 0.5681, 1.2873], [0.7321, 1.3639, 1.1484], [-0.9047, 0.9018, -0.1664], [-0.0931, -0.1476, 1.7418]];
/// The running mean after the second training forward.
pub const BN_RUNNING_MEAN2: [f64; 3] = [0.061642833333333334, -0.07804250000000001, 0.27830083333333333];
/// The running variance after the second training forward.
pub const BN_RUNNING_VAR2: [f64; 3] = [1.1090653639566668, 0.97200641617, 1.0742452773366669];
/// Eval mode: y = (x − running_mean) / sqrt(running_var + eps) · gamma + beta, with the running
/// stats after the two training forwards (BN_RUNNING_MEAN2, BN_RUNNING_VAR2).
pub const BN_X_EVAL: [[f64; 3]; 2] = [[0.1658, 1.4294, 1.6057], [1.1544, -0.3649, 0.6955]];
/// The upstream gradient in eval mode: loss = sum(y · BN_DY_EVAL).
pub const BN_DY_EVAL: [[f64; 3]; 2] = [[1.5574, 0.0316, 0.3939], [1.9816, -1.1903, -1.1234]];
/// The eval output.
pub const BN_Y_EVAL: [[f64; 3]; 2] = [[0.001513540261993218, 1.569640585290297, 1.6602167488893347], [1.4016273353089639, -0.3509473457162786, 0.5420313363081614]];
/// d loss / d x in eval mode (the running stats are constants).
pub const BN_DX_EVAL: [[f64; 3]; 2] = [[2.205681999196998, 0.03382409776503806, 0.4839081894261966], [2.806459130351079, -1.2740766952444558, -1.3801027164290158]];

/// `torch.nn.Embedding(5, 3)` with weight EMB_WEIGHT, looked up at EMB_INDICES [2, 3]: y[i][j] =
/// weight[indices[i][j]], shape [2, 3, 3]; d loss / d weight sums the upstream rows of every lookup
/// of a row (row 1 is looked up three times, row 2 never).
pub const EMB_WEIGHT: [[f64; 3]; 5] = [[-0.5041, 1.4688, 1.6482], [0.7506, 0.3042, 0.5093], [0.4976, -0.3697, 1.7055], [-0.512, 0.2479, -0.2245], [0.8732, -0.4887, 0.1336]];
pub const EMB_INDICES: [[usize; 3]; 2] = [[1, 3, 1], [0, 4, 1]];
/// The upstream gradient: loss = sum(y · EMB_DY).
pub const EMB_DY: [[[f64; 3]; 3]; 2] = [[[0.8509, 0.8492, -1.3027], [-0.3328, -1.2654, 1.0085], [2.0302, 1.1834, 0.9663]], [[-0.9236, -0.4525, 1.3575], [0.2402, 0.8541, -1.6116], [0.3839, 1.079, 0.2552]]];
/// The output y.
pub const EMB_Y: [[[f64; 3]; 3]; 2] = [[[0.7506, 0.3042, 0.5093], [-0.512, 0.2479, -0.2245], [0.7506, 0.3042, 0.5093]], [[-0.5041, 1.4688, 1.6482], [0.8732, -0.4887, 0.1336], [0.7506, 0.3042, 0.5093]]];
/// d loss / d weight.
pub const EMB_DWEIGHT: [[f64; 3]; 5] = [[-0.9236, -0.4525, 1.3575], [3.265, 3.1116, -0.08119999999999994], [0.0, 0.0, 0.0], [-0.3328, -1.2654, 1.0085], [0.2402, 0.8541, -1.6116]];
