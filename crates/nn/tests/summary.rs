//! `summary` (issue 24): a `Sequential` with every layer kind and a custom module — rows,
//! paths, output shapes, parameter counts, trainable and frozen, buffers — and that taking
//! one leaves the model as it was.

use ndarray::{array, ArrayViewD, ArrayViewMutD};
use rand::SeedableRng;
use tapegrad_nn::{
    copy_buffers, summary, visit_children_params, visit_children_params_mut, BatchNorm1d, Dense, Dropout,
    Embedding, Frozen, LayerNorm, LeakyReLU, LogSoftmax, Module, NnError, Parameters, ReLU, Sequential,
    Sigmoid, Softmax, Tanh,
};
use tapegrad_tape::{Tape, Var};

fn rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(3)
}

#[test]
fn a_sequential_of_every_layer_kind() {
    let r = &mut rng();
    let mut model = Sequential::<f64>::new()
        .add(Embedding::new(10, 4, r))
        .add(Dense::new(4, 8, r))
        .add(BatchNorm1d::new(8))
        .add(LeakyReLU { slope: 0.1 })
        .add(Dropout::new(0.25, 9).unwrap())
        .add(Frozen::new(Dense::new(8, 8, r)))
        .add(LayerNorm::new(8))
        .add(Tanh)
        .add(ReLU)
        .add(Sigmoid)
        .add(Dense::new(8, 3, r))
        .add(Softmax)
        .add(LogSoftmax);
    model.set_trainable(10, false).unwrap();
    let before = copy_buffers(&model);
    let s = summary(&mut model, &[5]).unwrap(); // five category indices
    let layers: Vec<&str> = s.rows.iter().map(|r| r.layer.as_str()).collect();
    assert_eq!(
        layers,
        [
            "Sequential",
            "Embedding(10, 4)",
            "Dense(4 → 8)",
            "BatchNorm1d(8)",
            "LeakyReLU",
            "Dropout(p = 0.25)",
            "Frozen(Dense(8 → 8))",
            "LayerNorm(8)",
            "Tanh",
            "ReLU",
            "Sigmoid",
            "Dense(8 → 3)",
            "Softmax",
            "LogSoftmax"
        ]
    );
    assert_eq!(s.rows[0].path, "");
    assert_eq!(s.rows[6].path, "layers.5");
    assert!(s.rows[1..].iter().all(|r| r.depth == 1));
    let shapes: Vec<Vec<usize>> = s.rows.iter().map(|r| r.output_shape.clone().unwrap()).collect();
    assert_eq!(shapes[1], [5, 4]);
    assert_eq!(shapes[2], [5, 8]);
    assert_eq!(shapes[0], [5, 3]);
    let per_layer: Vec<usize> = s.rows.iter().map(|r| r.parameters).collect();
    assert_eq!(per_layer, [40 + 40 + 16 + 72 + 16 + 27, 40, 40, 16, 0, 0, 72, 16, 0, 0, 0, 27, 0, 0]);
    assert_eq!(s.parameters, model.param_count());
    // The frozen Dense (72) and the layer set untrainable (27) get no gradient.
    assert_eq!(s.trainable, s.parameters - 72 - 27);
    assert_eq!(s.buffers, 16);
    assert_eq!(copy_buffers(&model), before, "the running statistics are put back");
    let text = s.to_string();
    assert!(text.contains("  layers.5: Frozen(Dense(8 → 8))"), "{text}");
    assert!(text.contains("parameters: 211 (trainable 112, not trained 99), 1.6 KiB"), "{text}");
    assert!(text.contains("buffers: 16 (128 B)") && text.ends_with("input: [5] of f64"), "{text}");
}

/// A module of its own: an encoder and a head, called through `forward_child`.
struct Net {
    encoder: Sequential<f32>,
    head: Dense<f32>,
}

impl Parameters<f32> for Net {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f32>)) {
        visit_children_params(self, visit);
    }
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f32>)) {
        visit_children_params_mut(self, visit);
    }
}

impl Module<f32> for Net {
    fn forward<'t>(&'t self, tape: &'t Tape<'t, f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>, NnError> {
        let hidden = self.encoder.forward_child(tape, x)?;
        self.head.forward_child(tape, hidden)
    }
    fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<f32>)) {
        visit("encoder", &self.encoder);
        visit("head", &self.head);
    }
    fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<f32>)) {
        visit("encoder", &mut self.encoder);
        visit("head", &mut self.head);
    }
}

#[test]
fn a_custom_module_shows_its_children_nested() {
    let r = &mut rng();
    let mut net =
        Net { encoder: Sequential::new().add(Dense::new(6, 4, r)).add(Tanh), head: Dense::new(4, 1, r) };
    let s = summary(&mut net, &[2, 6]).unwrap();
    let rows: Vec<(usize, &str, &str)> =
        s.rows.iter().map(|r| (r.depth, r.path.as_str(), r.layer.as_str())).collect();
    assert_eq!(
        rows,
        [
            (0, "", "Net"),
            (1, "encoder", "Sequential"),
            (2, "encoder.layers.0", "Dense(6 → 4)"),
            (2, "encoder.layers.1", "Tanh"),
            (1, "head", "Dense(4 → 1)")
        ]
    );
    assert_eq!(s.rows[4].output_shape, Some(vec![2, 1]));
    assert_eq!((s.parameters, s.trainable, s.dtype), (33, 33, "f32"));
    let text = s.to_string();
    assert!(text.contains("    layers.0: Dense(6 → 4)"), "{text}");
}

#[test]
fn a_shape_that_does_not_fit_is_the_layers_error() {
    let r = &mut rng();
    let mut model = Sequential::<f64>::new().add(Dense::new(3, 2, r));
    let err = summary(&mut model, &[4, 5]).unwrap_err();
    assert_eq!(err.to_string(), "layers.0 (Dense(3 → 2)): expected input of shape [batch, 3], got [4, 5]");
    assert!(summary(&mut model, &[usize::MAX, 2]).is_err());
    // A failed summary leaves nothing recording: the next one is whole.
    assert_eq!(summary(&mut model, &[1, 3]).unwrap().rows.len(), 2);
    let _ = array![0.0];
}
