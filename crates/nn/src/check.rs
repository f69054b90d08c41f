//! Gradient-checking a whole module — every parameter it owns and its input — against
//! central finite differences, with the tape's public checker doing the judging.

use ndarray::{ArrayD, Dimension, IxDyn};
use tapegrad_tape::gradcheck::{GradCheck, GradCheckReport};
use tapegrad_tape::{BranchSignature, Tape, Var};

use crate::{Module, NnError};

/// Checks the gradient of `loss(model(input))` with respect to the input and every
/// parameter of `model`, element by element, against central differences in f64.
/// Elements are named by parameter (`layers.0.weight`) or `input`; elements whose
/// perturbation crosses a kink of a relu/max/clamp inside the model are reported as
/// kinks and skipped. The model, buffers included, is restored exactly afterwards.
///
/// Layers with randomness in training mode (Dropout) draw a new mask per forward pass, so
/// switch them to evaluation mode (`set_training(false)`) before checking: a model whose
/// loss differs between two forward passes at the same point is an error naming that
/// cause (finite differences of a random function compare nothing: every element looked
/// like a kink, and the check used to say "passed"). The random states are restored too.
///
/// # Errors
/// Whatever the model's forward returns (e.g. an input of the wrong width);
/// [`NnError::NotDeterministic`] for a model whose loss changes from one forward pass to
/// the next at the same input.
///
/// # Panics
/// If `loss` returns more than one element.
///
/// ```
/// use rand::SeedableRng;
/// use tapegrad_nn::{check_module, Dense, Sequential, Tanh};
/// use tapegrad_tape::gradcheck::GradCheck;
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let mut model = Sequential::new().add(Dense::<f64>::new(3, 4, &mut rng)).add(Tanh).add(Dense::new(4, 2, &mut rng));
/// let x = ndarray::array![[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]].into_dyn();
/// let report = check_module(&GradCheck::new(), &mut model, &x, |y| y.square().mean()).unwrap();
/// assert!(report.passed(), "{report}");
/// assert_eq!(report.elements.len(), 6 + (12 + 4) + (8 + 2)); // input + both layers
/// ```
pub fn check_module<M>(
    check: &GradCheck,
    model: &mut M,
    input: &ArrayD<f64>,
    loss: impl for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>,
) -> Result<GradCheckReport, NnError>
where
    M: Module<f64> + ?Sized,
{
    check_module_with(check, model, input, &loss)
}

/// The loss a module check applies to the model's output.
type LossOf<'f> = &'f dyn for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>;

/// [`check_module`] with the loss as a trait object: compiled once per module type, not
/// once per module type and loss closure.
fn check_module_with<M: Module<f64> + ?Sized>(
    check: &GradCheck,
    model: &mut M,
    input: &ArrayD<f64>,
    loss: LossOf<'_>,
) -> Result<GradCheckReport, NnError> {
    let (buffers, random_states) = (crate::copy_buffers(&*model), crate::copy_random_states(model));
    let outcome = compare_all(check, model, input, loss);
    crate::assign_buffers(model, buffers);
    crate::assign_random_states(model, &random_states);
    outcome
}

/// The comparisons of [`check_module_with`], which puts the buffers and random states back
/// afterwards.
fn compare_all<M: Module<f64> + ?Sized>(
    check: &GradCheck,
    model: &mut M,
    input: &ArrayD<f64>,
    loss: LossOf<'_>,
) -> Result<GradCheckReport, NnError> {
    // The same point twice must give the same loss (bit for bit: the forward pass is
    // deterministic), or finite differences measure the noise.
    let (first, second) = (evaluate(model, input, loss)?.0, evaluate(model, input, loss)?.0);
    if first.to_bits() != second.to_bits() && !(first.is_nan() && second.is_nan()) {
        return Err(NnError::NotDeterministic { first, second });
    }
    // Analytic gradients, and which side of every kink the unperturbed point is on.
    let (input_grad, param_grads, base) = {
        let tape = Tape::new();
        let x = tape.var(input.view());
        let value = loss(model.forward(&tape, x)?);
        let grads = tape.backward(value);
        let mut param_grads: Vec<(String, ArrayD<f64>)> = Vec::new();
        model.visit_params(&mut |name, param| {
            let grad = grads.param(&param).map_or_else(|| ArrayD::zeros(param.raw_dim()), |g| g.to_owned());
            param_grads.push((name.to_string(), grad));
        });
        (grads.get_or_zeros(x), param_grads, tape.branch_signature())
    };
    let step = check.step_size();
    let mut elements = Vec::new();

    let mut x = input.clone();
    for (index, &analytic) in input_grad.indexed_iter() {
        let original = x[&index];
        x[&index] = original + step;
        let plus = evaluate(model, &x, loss)?;
        x[&index] = original - step;
        let minus = evaluate(model, &x, loss)?;
        x[&index] = original;
        let numeric = (plus.0 - minus.0) / ((original + step) - (original - step));
        let kink = plus.1 != base || minus.1 != base;
        elements.push(check.compare("input", 0, index.slice().to_vec(), analytic, numeric, kink));
    }

    for (k, (name, grad)) in param_grads.iter().enumerate() {
        for (index, &analytic) in grad.indexed_iter() {
            let original = set_element(model, k, &index, |v| v + step);
            let plus = evaluate(model, input, loss)?;
            set_element(model, k, &index, |_| original - step);
            let minus = evaluate(model, input, loss)?;
            set_element(model, k, &index, |_| original);
            let numeric = (plus.0 - minus.0) / ((original + step) - (original - step));
            let kink = plus.1 != base || minus.1 != base;
            elements.push(check.compare(name, k + 1, index.slice().to_vec(), analytic, numeric, kink));
        }
    }
    Ok(check.report(elements))
}

/// The loss at `x` with the model as it is now, and the kink branches taken.
fn evaluate<M: Module<f64> + ?Sized>(
    model: &M,
    x: &ArrayD<f64>,
    loss: LossOf<'_>,
) -> Result<(f64, BranchSignature), NnError> {
    let tape = Tape::new();
    let value = loss(model.forward(&tape, tape.constant(x.view()))?);
    Ok((value.item(), tape.branch_signature()))
}

/// Sets element `index` of the model's `k`-th parameter to `f(old)`; returns the old value.
fn set_element<M: Module<f64> + ?Sized>(
    model: &mut M,
    k: usize,
    index: &IxDyn,
    f: impl Fn(f64) -> f64,
) -> f64 {
    let mut seen = 0;
    let mut old = f64::NAN;
    model.visit_params_mut(&mut |_, mut param| {
        if seen == k {
            old = param[index];
            param[index] = f(old);
        }
        seen += 1;
    });
    old
}
