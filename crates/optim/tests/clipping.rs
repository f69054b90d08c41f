//! Gradient clipping as the optimizer step applies it: by value, and by one global norm over
//! all the step's gradients (torch.nn.utils.clip_grad_norm_), reporting the norm before clipping.

use ndarray::array;
use tapegrad_optim::{global_grad_norm, Adam, GradientClipping, NamedParam, Optimizer, Sgd};
use tapegrad_tape::Tape;

use crate::common::{assert_close, Linear};

fn sgd(clipping: GradientClipping<f64>) -> Sgd<f64> {
    Sgd::builder().learning_rate(1.0).clipping(clipping).build().unwrap()
}

#[test]
fn clip_by_global_norm_scales_all_gradients_together() {
    // Gradients a = [3, 0] and b = [[4]]: one norm over both, √(3² + 0² + 4²) = 5.
    // clip_grad_norm_(params, max_norm=1) scales both by 1/(5 + 1e-6), then SGD(lr=1): θ = −ĝ.
    let mut optimizer = sgd(GradientClipping::Norm(1.0));
    let (mut a, mut b) = (array![0.0, 0.0], array![[0.0]]);
    let report = optimizer
        .step_params(&mut [
            NamedParam::new("a", &mut a, &array![3.0, 0.0]),
            NamedParam::new("b", &mut b, &array![[4.0]]),
        ])
        .unwrap();
    assert_eq!(report.total_norm, Some(5.0));
    let coefficient = 1.0 / (5.0 + 1e-6);
    assert_close(&a, &array![-3.0 * coefficient, 0.0], 1e-15, "a");
    assert_close(&b, &array![[-4.0 * coefficient]], 1e-15, "b");
    // Clipping each tensor on its own would have given a = [−1, 0] and b = [[−1]] instead.
    assert!((b[[0, 0]] + 0.8).abs() < 1e-6);
}

#[test]
fn gradients_under_max_norm_are_untouched_and_the_norm_still_reported() {
    let mut optimizer = sgd(GradientClipping::Norm(10.0));
    let (mut a, mut b) = (array![0.0, 0.0], array![0.0]);
    let report = optimizer
        .step_params(&mut [
            NamedParam::new("a", &mut a, &array![3.0, 0.0]),
            NamedParam::new("b", &mut b, &array![4.0]),
        ])
        .unwrap();
    assert_eq!(report.total_norm, Some(5.0));
    assert_eq!((a, b), (array![-3.0, 0.0], array![-4.0]));
    // Without norm clipping there is no norm to report.
    let report = sgd(GradientClipping::None)
        .step_params(&mut [NamedParam::new("a", &mut array![0.0], &array![1.0])])
        .unwrap();
    assert_eq!(report.total_norm, None);
}

#[test]
fn clip_by_global_norm_through_a_module() {
    // y = x·W + b with x = [[1, 2]], W = [[1], [1]], b = [0]; loss = Σy, so ∂L/∂W = xᵀ = [[1], [2]]
    // and ∂L/∂b = [1]: the global norm is √(1 + 4 + 1) = √6; clipped to 0.5.
    let mut model = Linear { weight: array![[1.0], [1.0]], bias: array![0.0] };
    let x = array![[1.0, 2.0]];
    let grads = {
        let tape = Tape::new();
        let y = model.forward(&tape, tape.constant(&x));
        tape.backward(y.sum())
    };
    let total = global_grad_norm(&model, &grads);
    assert_close(&array![total], &array![6f64.sqrt()], 1e-15, "global norm");
    let mut optimizer =
        Sgd::builder().learning_rate(0.1).clipping(GradientClipping::Norm(0.5)).build().unwrap();
    let report = optimizer.step(&mut model, &grads).unwrap();
    assert_eq!(report.total_norm, Some(total));
    let scale = 0.1 * 0.5 / (6f64.sqrt() + 1e-6);
    assert_close(&model.weight, &array![[1.0 - scale], [1.0 - 2.0 * scale]], 1e-15, "weight");
    assert_close(&model.bias, &array![-scale], 1e-15, "bias");
}

#[test]
fn clip_by_value_clamps_each_element() {
    // clip_grad_value_(params, clip_value=1): [3, −0.5, −7] → [1, −0.5, −1]; SGD(lr=1): θ = −ĝ.
    let mut optimizer = sgd(GradientClipping::Value(1.0));
    let mut theta = array![0.0, 0.0, 0.0];
    let report =
        optimizer.step_params(&mut [NamedParam::new("theta", &mut theta, &array![3.0, -0.5, -7.0])]).unwrap();
    assert_eq!(theta, array![-1.0, 0.5, 1.0]);
    assert_eq!(report.total_norm, None);
    // NaN passes through, as torch.clamp_ lets it.
    let mut theta = array![0.0];
    let _report =
        optimizer.step_params(&mut [NamedParam::new("nan", &mut theta, &array![f64::NAN])]).unwrap();
    assert!(theta[0].is_nan());
}

#[test]
fn the_update_rule_sees_the_clipped_gradient() {
    // The momentum buffer and Adam's moments are built from the clipped gradient.
    let mut momentum = Sgd::builder().momentum(0.9).clipping(GradientClipping::Value(0.5)).build().unwrap();
    let mut theta = array![0.0];
    let _report = momentum.step_params(&mut [NamedParam::new("theta", &mut theta, &array![2.0])]).unwrap();
    assert_eq!(momentum.state("theta").unwrap().momentum_buffer, Some(array![0.5].into_dyn()));

    let mut adam = Adam::builder().clipping(GradientClipping::Norm(1.0)).build().unwrap();
    let mut theta = array![0.0, 0.0];
    let _report = adam.step_params(&mut [NamedParam::new("theta", &mut theta, &array![3.0, 4.0])]).unwrap();
    // m = (1 − β₁)·ĝ with ĝ = [3, 4]/(5 + 1e-6)
    let expected = array![3.0, 4.0] * (0.1 / (5.0 + 1e-6));
    assert_close(&adam.state("theta").unwrap().exp_avg, &expected, 1e-14, "m");
}

#[test]
fn a_zero_max_norm_stops_every_update() {
    let mut optimizer = sgd(GradientClipping::Norm(0.0));
    let mut theta = array![1.0, 2.0];
    let report =
        optimizer.step_params(&mut [NamedParam::new("theta", &mut theta, &array![3.0, 4.0])]).unwrap();
    assert_eq!((theta, report.total_norm), (array![1.0, 2.0], Some(5.0)));
}

/// Class 5 of issue 11: norm clipping of a NaN or infinite gradient refuses the step (an
/// error naming the norm) instead of scaling every gradient by NaN; nothing changes.
#[test]
fn a_non_finite_norm_refuses_the_step_and_changes_nothing() {
    for bad in [f64::NAN, f64::INFINITY] {
        let mut optimizer = Adam::builder().clipping(GradientClipping::Norm(1.0)).build().unwrap();
        let (mut a, mut b) = (array![1.0, 2.0], array![3.0]);
        let err = optimizer
            .step_params(&mut [
                NamedParam::new("a", &mut a, &array![0.5, bad]),
                NamedParam::new("b", &mut b, &array![1.0]),
            ])
            .unwrap_err();
        assert!(
            matches!(err, tapegrad_optim::OptimError::NonFiniteGradients { optimizer: "Adam", .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("nothing was updated"), "{err}");
        assert_eq!((a, b), (array![1.0, 2.0], array![3.0]));
        assert!(optimizer.export_state().is_empty(), "no state was created");
    }
}

/// Class 6 of issue 11: a step in which no parameter has a gradient (gradients of another
/// model, or parameters recorded as constants) is an error, not an empty report.
#[test]
fn a_step_that_would_update_nothing_is_an_error() {
    let mut model = Linear { weight: array![[1.0], [1.0]], bias: array![0.0] };
    let other = Linear { weight: array![[1.0], [1.0]], bias: array![0.0] };
    let x = array![[1.0, 2.0]];
    let mut optimizer = sgd(GradientClipping::None);
    // Gradients of another model (an equal copy: parameters are found by their arrays).
    let grads = {
        let tape = Tape::new();
        tape.backward(other.forward(&tape, tape.constant(&x)).sum())
    };
    let err = optimizer.step(&mut model, &grads).unwrap_err();
    assert_eq!(err, tapegrad_optim::OptimError::NoGradients { optimizer: "Sgd", parameters: 2 });
    assert!(err.to_string().contains("none of the 2 parameters has a gradient"), "{err}");
    // Parameters recorded as constants.
    let grads = {
        let tape = Tape::new();
        let y = tape.constant(&x).matmul(&tape.constant(&model.weight)).add(&tape.constant(&model.bias));
        tape.backward(y.sum())
    };
    assert!(matches!(
        optimizer.step(&mut model, &grads),
        Err(tapegrad_optim::OptimError::NoGradients { .. })
    ));
    assert_eq!((model.weight.clone(), model.bias.clone()), (array![[1.0], [1.0]], array![0.0]));
    // An empty list of named parameters.
    assert!(optimizer.step_params(&mut []).is_err());
}

/// Finite f32 gradients too large to square in f32 are clipped, not refused: the norm is
/// summed in f64.
#[test]
fn huge_finite_f32_gradients_are_clipped_not_refused() {
    let mut optimizer =
        Sgd::<f32>::builder().learning_rate(1.0).clipping(GradientClipping::Norm(1.0)).build().unwrap();
    let mut theta = array![0.0f32, 0.0];
    let report =
        optimizer.step_params(&mut [NamedParam::new("theta", &mut theta, &array![3e20f32, 4e20])]).unwrap();
    assert_eq!(report.total_norm, Some(5e20));
    assert!((theta[0] + 0.6).abs() < 1e-6 && (theta[1] + 0.8).abs() < 1e-6, "{theta}");
}

/// clip_grad_norm_(…, norm_type=inf): the total is the largest |g| over all gradients and
/// every gradient is scaled by min(1, max_norm / (total + 1e-6)).
#[test]
fn clip_by_the_max_norm() {
    let mut optimizer =
        Sgd::builder().learning_rate(1.0).clipping(GradientClipping::InfNorm(2.0)).build().unwrap();
    let (mut a, mut b) = (array![0.0, 0.0], array![0.0]);
    let report = optimizer
        .step_params(&mut [
            NamedParam::new("a", &mut a, &array![3.0, -8.0]),
            NamedParam::new("b", &mut b, &array![1.0]),
        ])
        .unwrap();
    assert_eq!(report.total_norm, Some(8.0));
    let scale = 2.0 / (8.0 + 1e-6);
    assert_close(&a, &array![-3.0 * scale, 8.0 * scale], 1e-15, "a");
    assert_close(&b, &array![-scale], 1e-15, "b");
    // Below the threshold nothing changes; a NaN anywhere refuses the step.
    let mut c = array![0.0];
    let report = optimizer.step_params(&mut [NamedParam::new("c", &mut c, &array![1.5])]).unwrap();
    assert_eq!((c, report.total_norm), (array![-1.5], Some(1.5)));
    let mut d = array![0.0, 0.0];
    assert!(optimizer.step_params(&mut [NamedParam::new("d", &mut d, &array![f64::NAN, 1.0])]).is_err());
    assert_eq!(d, array![0.0, 0.0]);
}

/// The free function clips gradients a program holds, as an optimizer's setting would.
#[test]
fn clip_gradients_without_an_optimizer() {
    use tapegrad_optim::clip_gradients;
    let (mut a, mut b) = (array![3.0, 0.0], array![4.0]);
    let total =
        clip_gradients(&mut [a.view_mut().into_dyn(), b.view_mut().into_dyn()], GradientClipping::Norm(1.0));
    assert_eq!(total, Ok(Some(5.0)));
    assert_close(&a, &array![3.0 / (5.0 + 1e-6), 0.0], 1e-15, "a");
    let mut c = array![3.0, -0.5, -7.0];
    assert_eq!(clip_gradients(&mut [c.view_mut().into_dyn()], GradientClipping::Value(1.0)), Ok(None));
    assert_eq!(c, array![1.0, -0.5, -1.0]);
    let mut d = array![f64::INFINITY, 1.0];
    let err = clip_gradients(&mut [d.view_mut().into_dyn()], GradientClipping::InfNorm(1.0)).unwrap_err();
    assert!(matches!(
        err,
        tapegrad_optim::OptimError::NonFiniteGradients { optimizer: "clip_gradients", .. }
    ));
    assert_eq!(d, array![f64::INFINITY, 1.0]);
    assert!(clip_gradients(&mut [c.view_mut().into_dyn()], GradientClipping::Norm(-1.0)).is_err());
}

/// Issue 12: clipping a gradient store in place gives the same step as the optimizer's own
/// clipping, for a scalar parameter too.
#[test]
fn clipping_a_grads_store_in_place_matches_the_optimizers_clipping() {
    use ndarray::{array, Array0};
    use tapegrad_optim::{clip_param_grads, GradientClipping, Optimizer, Sgd};
    struct Two {
        w: ndarray::Array1<f64>,
        s: Array0<f64>,
    }
    impl Two {
        fn forward<'t>(
            &'t self,
            tape: &'t tapegrad_tape::Tape<'t, f64>,
            x: tapegrad_tape::Var<'t, f64>,
        ) -> tapegrad_tape::Var<'t, f64> {
            (x * tape.param(&self.w)).sum() * tape.param(&self.s)
        }
    }
    impl tapegrad_tape::Parameters<f64> for Two {
        fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewD<'a, f64>)) {
            visit("w", self.w.view().into_dyn());
            visit("s", self.s.view().into_dyn());
        }
        fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ndarray::ArrayViewMutD<'_, f64>)) {
            visit("w", self.w.view_mut().into_dyn());
            visit("s", self.s.view_mut().into_dyn());
        }
    }
    for clipping in
        [GradientClipping::Norm(0.5), GradientClipping::InfNorm(0.5), GradientClipping::Value(0.5)]
    {
        let mut by_store = Two { w: array![1.0, -2.0], s: Array0::from_elem((), 3.0) };
        let mut by_optimizer = Two { w: array![1.0, -2.0], s: Array0::from_elem((), 3.0) };
        let x = array![0.5, 4.0];
        let tape = tapegrad_tape::Tape::new();
        let mut grads = tape.backward(by_store.forward(&tape, tape.constant(&x)));
        let total = clip_param_grads(&by_store, &mut grads, clipping).unwrap();
        let mut plain = Sgd::builder().learning_rate(0.1).build().unwrap();
        let _report = plain.step(&mut by_store, &grads).unwrap();

        let tape = tapegrad_tape::Tape::new();
        let grads = tape.backward(by_optimizer.forward(&tape, tape.constant(&x)));
        let mut clipping_sgd = Sgd::builder().learning_rate(0.1).clipping(clipping).build().unwrap();
        let report = clipping_sgd.step(&mut by_optimizer, &grads).unwrap();
        assert_eq!(
            (by_store.w.clone(), by_store.s.clone()),
            (by_optimizer.w.clone(), by_optimizer.s.clone()),
            "{clipping:?}"
        );
        assert_eq!(total, report.total_norm, "{clipping:?}");
    }
}
