//! PyTorch's own trajectories (torch.optim in float64, six steps): the update rules alone,
//! fed PyTorch's recorded gradients, and the whole loop through the tape.

mod common;
#[rustfmt::skip]
#[path = "data/torch_optim.rs"]
mod torch_optim;

use ndarray::{arr1, arr2};
use tapegrad_optim::{Adam, NamedParam, Optimizer, Sgd};
use tapegrad_tape::Tape;

use common::{assert_close, assert_close_scalar, Linear};
use torch_optim::{Case, ADAM, B0, SGD, SGD_MOMENTUM, SOURCE, W0, X, Y};

/// Feeds each step's recorded gradients to `optimizer` and compares the parameters after
/// every step with PyTorch's to 1e-10 relative.
fn replay_gradients(case: &Case, optimizer: &mut dyn Optimizer<f64>) {
    let (mut w, mut b) = (arr2(&W0), arr1(&B0));
    for (index, step) in case.steps.iter().enumerate() {
        let context = format!("{} ({SOURCE}), step {}", case.torch, index + 1);
        assert_eq!(optimizer.learning_rate(), step.lr, "{context}: lr");
        let report = optimizer
            .step_params(&mut [
                NamedParam::new("weight", &mut w, &arr2(&step.grad_w)),
                NamedParam::new("bias", &mut b, &arr1(&step.grad_b)),
            ])
            .unwrap();
        assert_eq!(report.updated, 2);
        assert_close(&w, &arr2(&step.w), 1e-10, &format!("{context}: w"));
        assert_close(&b, &arr1(&step.b), 1e-10, &format!("{context}: b"));
    }
}

/// Runs the whole loop with the tape: loss = mean((x @ w + b − y)²) from tape ops,
/// backward, `optimizer.step` over the model; compares the loss, the gradients and the
/// parameters with PyTorch's at every step.
fn train_through_tape(case: &Case, optimizer: &mut dyn Optimizer<f64>) {
    let (x, y) = (arr2(&X), arr2(&Y));
    let mut model = Linear { weight: arr2(&W0), bias: arr1(&B0) };
    for (index, step) in case.steps.iter().enumerate() {
        let context = format!("{} ({SOURCE}) through the tape, step {}", case.torch, index + 1);
        let (loss, grads) = {
            let tape = Tape::new();
            let prediction = model.forward(&tape, tape.constant(&x));
            let loss = (prediction - tape.constant(&y)).square().mean();
            (loss.item(), tape.backward(loss))
        };
        assert_close_scalar(loss, step.loss, 1e-10, &format!("{context}: loss"));
        assert_close(
            &grads.param(&model.weight).unwrap(),
            &arr2(&step.grad_w),
            1e-10,
            &format!("{context}: grad_w"),
        );
        assert_close(
            &grads.param(&model.bias).unwrap(),
            &arr1(&step.grad_b),
            1e-10,
            &format!("{context}: grad_b"),
        );
        let report = optimizer.step(&mut model, &grads).unwrap();
        assert_eq!((report.updated, report.skipped.len()), (2, 0));
        assert_close(&model.weight, &arr2(&step.w), 1e-10, &format!("{context}: w"));
        assert_close(&model.bias, &arr1(&step.b), 1e-10, &format!("{context}: b"));
    }
}

// torch.optim.SGD(params, lr=0.1)
fn sgd() -> Sgd<f64> {
    assert_eq!(SGD.torch, "torch.optim.SGD(params, lr=0.1)");
    Sgd::builder().learning_rate(0.1).build().unwrap()
}

// torch.optim.SGD(params, lr=0.1, momentum=0.9)
fn sgd_momentum() -> Sgd<f64> {
    assert_eq!(SGD_MOMENTUM.torch, "torch.optim.SGD(params, lr=0.1, momentum=0.9)");
    Sgd::builder().learning_rate(0.1).momentum(0.9).build().unwrap()
}

// torch.optim.Adam(params, lr=0.01)
fn adam() -> Adam<f64> {
    assert_eq!(ADAM.torch, "torch.optim.Adam(params, lr=0.01)");
    Adam::builder().learning_rate(0.01).build().unwrap()
}

// torch.optim.SGD(params, lr=0.1)
#[test]
fn sgd_matches_pytorch_given_its_gradients() {
    replay_gradients(&SGD, &mut sgd());
}

// torch.optim.SGD(params, lr=0.1, momentum=0.9)
#[test]
fn sgd_momentum_matches_pytorch_given_its_gradients() {
    replay_gradients(&SGD_MOMENTUM, &mut sgd_momentum());
}

// torch.optim.Adam(params, lr=0.01)
#[test]
fn adam_matches_pytorch_given_its_gradients() {
    replay_gradients(&ADAM, &mut adam());
}

// torch.optim.SGD(params, lr=0.1)
#[test]
fn sgd_matches_pytorch_through_the_tape() {
    train_through_tape(&SGD, &mut sgd());
}

// torch.optim.SGD(params, lr=0.1, momentum=0.9)
#[test]
fn sgd_momentum_matches_pytorch_through_the_tape() {
    train_through_tape(&SGD_MOMENTUM, &mut sgd_momentum());
}

// torch.optim.Adam(params, lr=0.01)
#[test]
fn adam_matches_pytorch_through_the_tape() {
    train_through_tape(&ADAM, &mut adam());
}

#[test]
fn adam_keeps_pytorchs_per_parameter_state() {
    // After six steps PyTorch's state['step'] is 6 for each parameter; the first moment is
    // m = Σₖ (1 − β₁) β₁^(6−k) gₖ over the recorded gradients (m₀ = 0).
    let mut optimizer = adam();
    replay_gradients(&ADAM, &mut optimizer);
    let state = optimizer.state("weight").unwrap();
    assert_eq!(state.step, 6);
    let expected = ADAM.steps.iter().fold(arr2(&[[0.0; 2]; 3]), |m, step| m * 0.9 + arr2(&step.grad_w) * 0.1);
    assert_close(&state.exp_avg, &expected, 1e-12, "exp_avg of weight");
    assert_eq!(optimizer.states().keys().collect::<Vec<_>>(), ["bias", "weight"]);
}
