//! Parameters as one flat vector and back, as PyTorch's `parameters_to_vector` and
//! `vector_to_parameters` (`torch.nn.utils`): what a second-order or quasi-Newton method
//! ([`Lbfgs`](crate::Lbfgs)) works on.
//!
//! The order is the visiting order of [`Parameters::visit_params`], each array's elements
//! in its logical (row-major) order, so a vector written back lands where it was read from.

use ndarray::Array1;
use tapegrad_tape::{Float, Grads, Parameters};

use crate::OptimError;

/// Every parameter of `model`, flattened and joined in visiting order (PyTorch's
/// `parameters_to_vector(model.parameters())`).
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::{array, ArrayD};
/// use tapegrad_optim::parameters_to_vector;
/// let model: BTreeMap<String, ArrayD<f64>> = BTreeMap::from([
///     ("a".to_string(), array![[1.0, 2.0], [3.0, 4.0]].into_dyn()),
///     ("b".to_string(), array![5.0].into_dyn()),
/// ]);
/// assert_eq!(parameters_to_vector(&model), array![1.0, 2.0, 3.0, 4.0, 5.0]);
/// ```
pub fn parameters_to_vector<T: Float>(model: &(impl Parameters<T> + ?Sized)) -> Array1<T> {
    let mut flat = Vec::with_capacity(model.param_count());
    model.visit_params(&mut |_, param| flat.extend(param.iter().copied()));
    Array1::from(flat)
}

/// Writes `vector` into `model`'s parameters, in the order [`parameters_to_vector`] reads
/// them (PyTorch's `vector_to_parameters`).
///
/// # Errors
/// [`OptimError::VectorLength`] if `vector` does not hold exactly as many numbers as the
/// model has parameters; nothing is written then.
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::{array, ArrayD};
/// use tapegrad_optim::{parameters_to_vector, vector_to_parameters};
/// let mut model: BTreeMap<String, ArrayD<f64>> =
///     BTreeMap::from([("w".to_string(), array![[1.0, 2.0]].into_dyn())]);
/// let doubled = parameters_to_vector(&model) * 2.0;
/// vector_to_parameters(&doubled, &mut model)?;
/// assert_eq!(model["w"], array![[2.0, 4.0]].into_dyn());
/// assert!(vector_to_parameters(&array![1.0], &mut model).is_err());
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub fn vector_to_parameters<T: Float>(
    vector: &Array1<T>,
    model: &mut (impl Parameters<T> + ?Sized),
) -> Result<(), OptimError> {
    let expected = model.param_count();
    if vector.len() != expected {
        return Err(OptimError::VectorLength { expected, got: vector.len() });
    }
    let mut values = vector.iter();
    model.visit_params_mut(&mut |_, mut param| {
        // `zip` asks `param` first, so `values` gives exactly `param.len()` numbers.
        for (p, &v) in param.iter_mut().zip(&mut values) {
            *p = v;
        }
    });
    Ok(())
}

/// The gradient of every parameter of `model` in `grads`, flattened and joined in the
/// order of [`parameters_to_vector`]; a parameter without a gradient (frozen, or not used
/// by the loss) contributes zeros, as PyTorch's `LBFGS` treats a `None` gradient.
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::{array, ArrayD};
/// use tapegrad_optim::gradients_to_vector;
/// use tapegrad_tape::Tape;
/// let model: BTreeMap<String, ArrayD<f64>> = BTreeMap::from([
///     ("a".to_string(), array![1.0, 2.0].into_dyn()),
///     ("b".to_string(), array![3.0].into_dyn()),
/// ]);
/// let tape = Tape::new();
/// let loss = tape.param(&model["a"]).square().sum(); // b is not used: its gradient is 0
/// let grads = tape.backward(loss);
/// assert_eq!(gradients_to_vector(&model, &grads), array![2.0, 4.0, 0.0]);
/// ```
pub fn gradients_to_vector<T: Float>(model: &(impl Parameters<T> + ?Sized), grads: &Grads<T>) -> Array1<T> {
    let mut flat = Vec::with_capacity(model.param_count());
    model.visit_params(&mut |_, param| match grads.param(&param) {
        Some(grad) => flat.extend(grad.iter().copied()),
        None => flat.extend(std::iter::repeat_n(T::zero(), param.len())),
    });
    Array1::from(flat)
}
