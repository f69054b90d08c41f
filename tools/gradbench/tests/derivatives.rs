//! Every eval's derivative against central differences of its own objective (or against a
//! closed form), at inputs made here.

use ndarray::{array, Array1, Array2};
use tapegrad_gradbench::evals::{ba, det, gmm, kmeans, llsq, lse, lstm, modes::Mode, ode, particle, saddle};

use crate::common::{assert_close, numbers, numeric_gradient, numeric_jacobian};

#[test]
fn lse_gradient_is_the_softmax_and_matches_finite_differences() {
    let x = Array1::from(numbers(1, 50)) * 30.0;
    let gradient = lse::gradient(&x);
    let max = x.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    let total: f64 = x.iter().map(|v| (v - max).exp()).sum();
    let softmax = x.mapv(|v| (v - max).exp() / total);
    assert_close("∇LSE = softmax", gradient.iter(), softmax.iter(), 1e-14);
    assert_close("LSE", [lse::primal(&x)].iter(), [max + total.ln()].iter(), 1e-15);
    let numeric = numeric_gradient(lse::primal, &x, 1e-6);
    assert_close("∇LSE", gradient.iter(), numeric.iter(), 1e-7);
    // Huge inputs stay finite: the maximum is taken out first.
    assert_eq!(lse::primal(&array![1000.0, 1000.0]), 1000.0 + 2f64.ln());
}

#[test]
fn llsq_gradient_is_minus_t_transpose_residual() {
    let (n, m) = (9, 4);
    let x = Array1::from(numbers(2, m));
    let t = Array1::from_shape_fn(n, |i| -1.0 + i as f64 * 2.0 / (n as f64 - 1.0));
    let powers = Array2::from_shape_fn((n, m), |(i, j)| t[i].powi(j as i32));
    let sign = t.mapv(|v: f64| {
        if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        }
    });
    let residual = &sign - &powers.dot(&x);
    assert_close("y", [llsq::primal(&x, n)].iter(), [0.5 * residual.dot(&residual)].iter(), 1e-14);
    let closed = -powers.t().dot(&residual);
    assert_close("∇y", llsq::gradient(&x, n).iter(), closed.iter(), 1e-13);
}

/// A GMM problem of `d` dimensions, `k` components and `n` points.
fn gmm_problem(d: usize, k: usize, n: usize) -> (gmm::Parameters, gmm::Data) {
    let matrix =
        |seed, rows, columns| Array2::from_shape_vec((rows, columns), numbers(seed, rows * columns)).unwrap();
    let parameters = gmm::Parameters {
        alpha: Array1::from(numbers(10, k)),
        mu: matrix(11, k, d),
        q: matrix(12, k, d) * 0.5,
        l: matrix(13, k, d * (d - 1) / 2),
    };
    (parameters, gmm::Data { x: matrix(14, n, d) * 2.0, m: 2, gamma: 1.3 })
}

#[test]
fn gmm_objective_matches_the_definition_with_explicit_matrices() {
    let (d, k, n) = (3, 2, 4);
    let (p, data) = gmm_problem(d, k, n);
    // log p(X|θ) + log p(θ) with Q built entry by entry and the Gaussians written out.
    let factor = |c: usize| {
        let mut q = Array2::<f64>::zeros((d, d));
        let mut next = 0;
        for column in 0..d {
            q[[column, column]] = p.q[[c, column]].exp();
            for row in column + 1..d {
                q[[row, column]] = p.l[[c, next]];
                next += 1;
            }
        }
        q
    };
    let weights: Vec<f64> = {
        let total: f64 = p.alpha.iter().map(|a| a.exp()).sum();
        p.alpha.iter().map(|a| a.exp() / total).collect()
    };
    let mut log_likelihood = 0.0;
    for i in 0..n {
        let mut density = 0.0;
        for (c, weight) in weights.iter().enumerate() {
            let q = factor(c);
            let centred = &data.x.row(i) - &p.mu.row(c);
            let z = q.dot(&centred);
            let det_q: f64 = (0..d).map(|j| q[[j, j]]).product();
            density +=
                weight * det_q * (-0.5 * z.dot(&z)).exp() / (2.0 * std::f64::consts::PI).powf(d as f64 / 2.0);
        }
        log_likelihood += density.ln();
    }
    let dof = (d + data.m + 1) as f64;
    let mut log_prior = 0.0;
    for c in 0..k {
        let q = factor(c);
        let log_det_precision = 2.0 * p.q.row(c).sum();
        let trace = data.gamma * data.gamma * q.iter().map(|v| v * v).sum::<f64>();
        log_prior += 0.5 * (dof - d as f64 - 1.0) * log_det_precision - 0.5 * trace
            + dof * d as f64 * (data.gamma.ln() - 0.5 * 2f64.ln())
            - tapegrad::tape::special::multivariate_ln_gamma(0.5 * dof, d);
    }
    let objective = gmm::objective(&p, &data);
    assert_close("log posterior", [objective].iter(), [log_likelihood + log_prior].iter(), 1e-12);
}

#[test]
fn gmm_jacobian_matches_finite_differences() {
    let (d, k, n) = (3, 2, 5);
    let (p, data) = gmm_problem(d, k, n);
    let flat: Array1<f64> = p.alpha.iter().chain(&p.mu).chain(&p.q).chain(&p.l).copied().collect();
    let unflatten = |z: &Array1<f64>| {
        let mut q = p.clone();
        let mut values = z.iter().copied();
        for slot in q.alpha.iter_mut().chain(q.mu.iter_mut()).chain(q.q.iter_mut()).chain(q.l.iter_mut()) {
            *slot = values.next().unwrap();
        }
        q
    };
    let numeric = numeric_gradient(|z| gmm::objective(&unflatten(z), &data), &flat, 1e-6);
    let g = gmm::jacobian(&p, &data);
    let analytic: Vec<f64> = g.alpha.iter().chain(&g.mu).chain(&g.q).chain(&g.l).copied().collect();
    assert_close("∇ log posterior", analytic.iter(), numeric.iter(), 1e-6);
}

#[test]
fn lstm_jacobian_matches_finite_differences() {
    let (layers, b, c) = (2, 3, 5);
    let matrix =
        |seed, rows, columns| Array2::from_shape_vec((rows, columns), numbers(seed, rows * columns)).unwrap();
    let bits = Array2::from_shape_fn((c, b), |(t, j)| f64::from(u8::from((t + j) % 2 == 0)));
    let input = lstm::Input {
        main: matrix(20, 2 * layers, 4 * b),
        extra: matrix(21, 3, b),
        state: matrix(22, 2 * layers, b),
        sequence: bits,
    };
    let flat: Array1<f64> = input.main.iter().chain(&input.extra).copied().collect();
    let split = |z: &Array1<f64>| {
        let mut moved = input.clone();
        for (slot, &v) in moved.main.iter_mut().chain(moved.extra.iter_mut()).zip(z) {
            *slot = v;
        }
        moved
    };
    let numeric = numeric_gradient(|z| lstm::objective(&split(z)), &flat, 1e-6);
    assert_close("∇ loss", lstm::jacobian(&input).iter(), numeric.iter(), 1e-7);
}

#[test]
fn ode_solution_is_exact_where_rk4_is_and_its_gradient_matches_finite_differences() {
    // yᵢ(t) = x₀x₁…xᵢ tⁱ⁺¹/(i + 1)!: polynomials of degree ≤ 4 for i ≤ 3, which RK4 solves exactly.
    let x = array![0.9, 0.8, 1.1, 0.7];
    let y = ode::primal(&x, 3);
    let mut product = 1.0;
    let mut factorial = 1.0;
    for i in 0..4 {
        product *= x[i];
        factorial *= (i + 1) as f64;
        assert_close("y(2)", [y[i]].iter(), [product * 2f64.powi(i as i32 + 1) / factorial].iter(), 1e-14);
    }
    let x = Array1::from(numbers(30, 12)).mapv(|v| 1.0 + 0.5 * v);
    let numeric = numeric_gradient(|x| ode::primal(x, 7)[11], &x, 1e-6);
    assert_close("∇ y(2)ₙ₋₁", ode::gradient(&x, 7).iter(), numeric.iter(), 1e-7);
}

/// The determinant by Gaussian elimination with partial pivoting.
fn eliminate(a: &Array1<f64>, ell: usize) -> f64 {
    let mut m = Array2::from_shape_vec((ell, ell), a.to_vec()).unwrap();
    let mut det = 1.0;
    for c in 0..ell {
        let pivot = (c..ell).max_by(|&i, &j| m[[i, c]].abs().total_cmp(&m[[j, c]].abs())).unwrap();
        if pivot != c {
            for j in 0..ell {
                m.swap([c, j], [pivot, j]);
            }
            det = -det;
        }
        det *= m[[c, c]];
        for r in c + 1..ell {
            let factor = m[[r, c]] / m[[c, c]];
            for j in c..ell {
                m[[r, j]] -= factor * m[[c, j]];
            }
        }
    }
    det
}

#[test]
fn det_by_minors_matches_elimination_and_its_gradient_is_the_cofactor_matrix() {
    for ell in 1..=6 {
        let a = Array1::from(numbers(40 + ell as u64, ell * ell));
        assert_close("det", [det::primal(&a, ell)].iter(), [eliminate(&a, ell)].iter(), 1e-12);
        // ∂ det/∂aᵢⱼ = the cofactor: det is linear in each entry, so differences are exact.
        let numeric = numeric_gradient(|a| eliminate(a, ell), &a, 1e-3);
        assert_close("∇ det", det::gradient(&a, ell).iter(), numeric.iter(), 1e-9);
    }
}

#[test]
fn kmeans_direction_is_gradient_over_hessian_diagonal() {
    let points = Array2::from_shape_vec((40, 3), numbers(50, 120)).unwrap();
    let centroids = points.slice(ndarray::s![36.., ..]).to_owned() * 0.9;
    let flat: Array1<f64> = centroids.iter().copied().collect();
    let cost =
        |c: &Array1<f64>| kmeans::objective(&points, &c.clone().into_shape_with_order((4, 3)).unwrap());
    // The cost is quadratic wherever no point changes centroid: central differences of a
    // quadratic are exact, so small steps give the gradient and the diagonal.
    let gradient = numeric_gradient(cost, &flat, 1e-5);
    let diagonal = Array1::from_shape_fn(flat.len(), |i| {
        let (mut plus, mut minus) = (flat.clone(), flat.clone());
        plus[i] += 1e-3;
        minus[i] -= 1e-3;
        (cost(&plus) - 2.0 * cost(&flat) + cost(&minus)) / 1e-6
    });
    let expected = &gradient / &diagonal;
    let direction = kmeans::direction(&points, &centroids).unwrap();
    assert_close("∇f / diag ∇²f", direction.iter(), expected.iter(), 1e-5);
}

const MODES: [(Mode, Mode); 4] = [
    (Mode::Reverse, Mode::Reverse),
    (Mode::Reverse, Mode::Forward),
    (Mode::Forward, Mode::Reverse),
    (Mode::Forward, Mode::Forward),
];

#[test]
fn saddle_nested_gradient_is_2p_in_every_mode_and_the_descent_finds_the_saddle() {
    // ∇ₚ maxᵩ (|p|² − |q|²) = 2p: the inner maximiser (0) does not depend on p.
    for (outer, inner) in MODES {
        let g = saddle::outer_gradient([0.75, -1.25], [1.0, 1.0], outer, inner).unwrap();
        assert_close(&format!("{outer:?}/{inner:?}"), g.iter(), [1.5, -2.5].iter(), 1e-12);
        let point = saddle::saddle_point([3e-5, -4e-5], outer, inner).unwrap();
        assert!(point.iter().all(|v| v.abs() < 1e-4), "{outer:?}/{inner:?}: {point:?}");
    }
}

#[test]
fn particle_nested_derivative_matches_finite_differences_in_every_mode() {
    let miss = |w: f64| particle::miss_distance(w).unwrap();
    // d/dw x₀(t_f)² through the trajectory and every step's force gradient.
    let w = 0.1;
    let numeric = (miss(w + 1e-6) - miss(w - 1e-6)) / 2e-6;
    for (outer, inner) in MODES {
        let analytic = particle::miss_derivative(w, outer, inner).unwrap();
        assert!(
            (analytic - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
            "{outer:?}/{inner:?}: {analytic} vs {numeric}"
        );
    }
    // Where GradBench's descent from w = 0 ends (0.2071918746486116, found by this tool in
    // release runs), the particle lands on the origin, nearby controls miss by more, and
    // the descent stops at once.
    let w = 0.2071918746486116;
    assert!(miss(w) < 1e-6, "miss {}", miss(w));
    assert!(miss(w - 1e-3) > miss(w) && miss(w + 1e-3) > miss(w));
    assert_eq!(particle::control(w, Mode::Reverse, Mode::Reverse).unwrap(), w);
}

/// A bundle-adjustment problem whose cameras, points and features differ, with one camera
/// unrotated (Rodrigues' θ = 0 branch beside the general one).
fn ba_problem() -> ba::Problem {
    let n = 3;
    let mut cameras = Array2::from_shape_fn((n, 11), |(c, j)| {
        let v = numbers(60 + c as u64, 11)[j];
        match j {
            0..=2 => 0.3 * v,
            3..=5 => v,
            6 => 400.0 + 50.0 * v,
            7 | 8 => 10.0 * v,
            _ => 0.01 * v,
        }
    });
    cameras.row_mut(1).slice_mut(ndarray::s![0..3]).fill(0.0);
    let points =
        Array2::from_shape_fn((4, 3), |(i, j)| numbers(70 + i as u64, 3)[j] + if j == 2 { 5.0 } else { 0.0 });
    let p = 7;
    ba::Problem {
        cameras,
        points,
        weights: Array1::from(numbers(80, p)).mapv(|w| 1.0 + 0.3 * w),
        features: Array2::from_shape_vec((p, 2), numbers(81, 2 * p)).unwrap() * 100.0,
        camera_of: (0..p).map(|i| i % n).collect(),
        point_of: (0..p).map(|i| (2 * i) % 4).collect(),
    }
}

#[test]
fn ba_jacobian_blocks_match_finite_differences() {
    let problem = ba_problem();
    let (n, m, p) = (problem.cameras.nrows(), problem.points.nrows(), problem.weights.len());
    let flat: Array1<f64> =
        problem.cameras.iter().chain(&problem.points).chain(&problem.weights).copied().collect();
    let residuals = |z: &Array1<f64>| {
        let mut moved = problem.clone();
        for (slot, &v) in
            moved.cameras.iter_mut().chain(moved.points.iter_mut()).chain(moved.weights.iter_mut()).zip(z)
        {
            *slot = v;
        }
        let (reprojection, weights) = ba::objective(&moved);
        reprojection.iter().chain(&weights).copied().collect::<Array1<f64>>()
    };
    let numeric = numeric_jacobian(residuals, &flat, 1e-6);
    let sparse = ba::jacobian(&problem).unwrap();
    assert_eq!(sparse.rows.len(), 3 * p + 1);
    assert_eq!(sparse.cols.len(), 2 * 15 * p + p);
    let mut dense = Array2::<f64>::zeros((3 * p, 11 * n + 3 * m + p));
    for row in 0..3 * p {
        for k in sparse.rows[row]..sparse.rows[row + 1] {
            dense[[row, sparse.cols[k]]] += sparse.vals[k];
        }
    }
    assert_close("J", dense.iter(), numeric.iter(), 1e-6);
}
