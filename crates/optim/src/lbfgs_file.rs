//! [`Lbfgs`]'s state in a safetensors file: its flat vectors as tensors, its counters and
//! scalars in the metadata, so a run resumed from it continues as if it had not stopped.

// Reached by data from outside (files): no unwrap, expect, panic, indexing or unchecked
// arithmetic outside the tests (`docs/reliability.md`); each exception is local and says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use ndarray::{Array1, ArrayD, Axis, Ix1, Ix2};
use tapegrad_tape::{read_tensors, write_finite_tensors, Float, Parameters, StoredTensor};

use crate::{Lbfgs, LbfgsState, StateError};

const FORMAT: &str = "tapegrad-optimizer";
const NAME: &str = "Lbfgs";

impl<T: Float> Lbfgs<T> {
    /// Saves the state (atomically) to `path`: the last direction and gradient as tensors
    /// `direction` and `previous_gradient` `[n]`, the history as `steps` and
    /// `gradient_changes` `[m, n]` and `rho` `[m]`; the counters, the last step length,
    /// `γ`, the last loss, the learning rate and `n` in the metadata.
    ///
    /// # Errors
    /// [`StateError::File`] if the file cannot be written.
    ///
    /// ```
    /// # use std::collections::BTreeMap;
    /// # use ndarray::{array, ArrayD};
    /// # use tapegrad_optim::{Lbfgs, OptimError};
    /// # use tapegrad_tape::Tape;
    /// let mut model: BTreeMap<String, ArrayD<f64>> = BTreeMap::from([("w".to_string(), array![0.0, 0.0].into_dyn())]);
    /// let closure = |model: &BTreeMap<String, ArrayD<f64>>| {
    ///     let tape = Tape::new();
    ///     let loss = (tape.param(&model["w"]) - tape.constant(array![1.0, -1.0])).powf(4.0).sum();
    ///     Ok::<_, OptimError>((loss.item(), tape.backward(loss)))
    /// };
    /// let mut lbfgs = Lbfgs::builder().max_iter(3).build()?;
    /// lbfgs.step(&mut model, closure)?;
    /// let path = std::env::temp_dir().join(format!("tapegrad-doc-lbfgs-{}.safetensors", std::process::id()));
    /// lbfgs.save_state(&path)?;
    /// let mut resumed = Lbfgs::builder().max_iter(3).build()?;
    /// resumed.load_state(&model, &path)?;
    /// assert_eq!(resumed.state(), lbfgs.state());
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_state(&self, path: impl AsRef<Path>) -> Result<(), StateError> {
        let state = self.state();
        let n = state.direction.as_ref().or(state.previous_gradient.as_ref()).map_or(0, |v| v.len());
        let number = |v: T| format!("{:?}", v.to_f64());
        let mut metadata = BTreeMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("optimizer".to_string(), NAME.to_string()),
            ("learning_rate".to_string(), number(self.learning_rate())),
            ("parameters".to_string(), n.to_string()),
            ("func_evals".to_string(), state.func_evals.to_string()),
            ("n_iter".to_string(), state.n_iter.to_string()),
            ("step_length".to_string(), number(state.step_length)),
            ("hessian_diag".to_string(), number(state.hessian_diag)),
        ]);
        if let Some(loss) = state.previous_loss {
            metadata.insert("previous_loss".to_string(), number(loss));
        }
        let mut tensors: Vec<(String, ArrayD<T>)> = Vec::new();
        for (name, vector) in
            [("direction", &state.direction), ("previous_gradient", &state.previous_gradient)]
        {
            if let Some(vector) = vector {
                tensors.push((name.to_string(), vector.clone().into_dyn()));
            }
        }
        if !state.steps.is_empty() {
            for (name, rows) in [("steps", &state.steps), ("gradient_changes", &state.gradient_changes)] {
                let views: Vec<_> = rows.iter().map(|row| row.view().insert_axis(Axis(0))).collect();
                // Every row has n elements (the step keeps them so), so they stack.
                let stacked = ndarray::concatenate(Axis(0), &views).map_err(|err| StateError::Mismatch {
                    path: path.as_ref().to_path_buf(),
                    problems: vec![err.to_string()],
                })?;
                tensors.push((name.to_string(), stacked.into_dyn()));
            }
            tensors.push(("rho".to_string(), Array1::from_iter(state.rho.iter().copied()).into_dyn()));
        }
        write_finite_tensors(
            path,
            tensors.iter().map(|(name, array)| (name.clone(), array.view())),
            metadata,
        )?;
        Ok(())
    }

    /// Loads a state saved by [`save_state`](Lbfgs::save_state) for `model`, with the
    /// learning rate saved with it. Everything is checked first — the optimizer, the dtype,
    /// that the vectors have `model`'s parameter count, that the history fits this
    /// optimizer's `history_size`, that every number is there and finite — and every
    /// problem is reported in one [`StateError::Mismatch`]; the optimizer is unchanged on
    /// any error.
    ///
    /// # Errors
    /// [`StateError::File`] for an unreadable or corrupt file, [`StateError::Mismatch`] for
    /// contents that do not fit.
    ///
    /// ```
    /// use tapegrad_optim::{Lbfgs, StateError};
    /// let model = std::collections::BTreeMap::from([("w".to_string(), ndarray::ArrayD::<f64>::zeros(vec![2]))]);
    /// let mut lbfgs = Lbfgs::builder().build().unwrap();
    /// let missing = std::env::temp_dir().join("tapegrad-doc-no-such-lbfgs.safetensors");
    /// assert!(matches!(lbfgs.load_state(&model, &missing), Err(StateError::File(_))));
    /// ```
    pub fn load_state(
        &mut self,
        model: &(impl Parameters<T> + ?Sized),
        path: impl AsRef<Path>,
    ) -> Result<(), StateError> {
        let path = path.as_ref();
        let (mut tensors, metadata) = read_tensors::<T>(path)?;
        let mut problems = Vec::new();
        let n = model.param_count();
        match metadata.get("optimizer") {
            Some(name) if name == NAME => {}
            Some(name) => problems.push(format!("saved by {name}, loading into {NAME}")),
            None => {
                problems.push("no `optimizer` in the metadata: not a tapegrad optimizer state file".into())
            }
        }
        let mut field = |key: &str| -> Option<f64> {
            let value =
                metadata.get(key).and_then(|v| v.parse::<f64>().ok()).filter(|v| T::from_f64(*v).is_finite());
            if value.is_none() {
                problems
                    .push(format!("`{key}` in the metadata is {:?}, not a finite number", metadata.get(key)));
            }
            value
        };
        let learning_rate = field("learning_rate").filter(|lr| *lr >= 0.0);
        let step_length = field("step_length");
        let hessian_diag = field("hessian_diag");
        let previous_loss = match metadata.contains_key("previous_loss") {
            true => field("previous_loss"),
            false => None,
        };
        let mut count = |key: &str| -> Option<u64> {
            let value = metadata.get(key).and_then(|v| v.parse::<u64>().ok());
            if value.is_none() {
                problems
                    .push(format!("`{key}` in the metadata is {:?}, not a whole number", metadata.get(key)));
            }
            value
        };
        let (func_evals, n_iter) = (count("func_evals"), count("n_iter"));
        if let Some(saved) = metadata.get("parameters").filter(|saved| **saved != n.to_string()) {
            problems.push(format!("saved for {saved} parameters, the model has {n}"));
        }

        let kept = tensors.get("rho").and_then(|rho| rho.shape.first().copied()).unwrap_or(0);
        let mut take = |name: &str, shape: &[usize]| -> Option<ArrayD<T>> {
            let tensor: StoredTensor<T> = tensors.remove(name)?;
            if tensor.shape != shape {
                problems.push(format!("`{name}`: shape {:?}, expected {shape:?}", tensor.shape));
                return None;
            }
            match &tensor.values {
                None => problems.push(format!(
                    "`{name}`: dtype {} is not the optimizer's {}",
                    tensor.dtype,
                    T::NAME
                )),
                Some(values) if values.iter().any(|v| !v.is_finite()) => {
                    problems.push(format!("`{name}`: holds a NaN or an infinity"));
                }
                Some(_) => {}
            }
            tensor.values
        };
        let vector = |array: Option<ArrayD<T>>| array.and_then(|a| a.into_dimensionality::<Ix1>().ok());
        let direction = vector(take("direction", &[n]));
        let previous_gradient = vector(take("previous_gradient", &[n]));
        let rows = |array: Option<ArrayD<T>>| -> VecDeque<Array1<T>> {
            array
                .and_then(|a| a.into_dimensionality::<Ix2>().ok())
                .map(|a| a.outer_iter().map(|row| row.to_owned()).collect())
                .unwrap_or_default()
        };
        let steps = rows(take("steps", &[kept, n]));
        let gradient_changes = rows(take("gradient_changes", &[kept, n]));
        let rho: VecDeque<T> =
            vector(take("rho", &[kept])).map(|r| r.into_iter().collect()).unwrap_or_default();
        for name in tensors.keys() {
            problems.push(format!("`{name}`: not part of an L-BFGS state"));
        }
        if steps.len() != kept || gradient_changes.len() != kept || rho.len() != kept {
            problems.push(format!("the history is incomplete: `steps`, `gradient_changes` and `rho` must all hold {kept} entries"));
        }
        if kept > self.config().history_size {
            problems.push(format!(
                "the history holds {kept} pairs, this optimizer keeps {} (history_size)",
                self.config().history_size
            ));
        }
        if n_iter.is_some_and(|n_iter| n_iter > 0) && (direction.is_none() || previous_gradient.is_none()) {
            problems.push("`direction` and `previous_gradient` are missing after iterations".into());
        }
        match (learning_rate, step_length, hessian_diag, func_evals, n_iter) {
            (Some(learning_rate), Some(step_length), Some(hessian_diag), Some(func_evals), Some(n_iter))
                if problems.is_empty() =>
            {
                self.set_state(LbfgsState {
                    func_evals,
                    n_iter,
                    direction,
                    step_length: T::from_f64(step_length),
                    steps,
                    gradient_changes,
                    rho,
                    hessian_diag: T::from_f64(hessian_diag),
                    previous_gradient,
                    previous_loss: previous_loss.map(T::from_f64),
                });
                self.set_learning_rate(T::from_f64(learning_rate));
                Ok(())
            }
            _ => {
                if learning_rate.is_none() && problems.is_empty() {
                    problems.push("the learning rate is negative".into());
                }
                Err(StateError::Mismatch { path: path.to_path_buf(), problems })
            }
        }
    }
}
