//! A real table with text in it: the Palmer penguins (344 birds, three species, the island
//! they live on, their sex, four body measurements, and 11 gaps), loaded as published and
//! classified by a network that learns a small vector for each island and each sex.
//!
//! What it shows, in order:
//! 1. `CsvOptions` reading the file as it is: a header, columns chosen by name, text
//!    columns mapped to indices (the mapping kept), rows with `NA` dropped and counted.
//! 2. A custom `Module`: `Embedding` tables for the categorical columns, concatenated with
//!    the standardised measurements, into `Dense → LayerNorm → ReLU → Dropout → Dense`.
//!    It names its children once (`visit_children`), so its weight file reads like the
//!    code and its Dropout's random state and training mode are never left out.
//! 3. `Trainer` with early stopping on the validation accuracy, keeping the best epoch,
//!    and a checkpoint written after every epoch.
//! 4. The same run interrupted halfway and resumed from the checkpoint files by a fresh
//!    model and optimizer, ending bit for bit where the uninterrupted run ends (Dropout's
//!    random state included).
//!
//! Run: `cargo run --release --example tabular`.

use std::error::Error;
use std::path::Path;

use tapegrad::ndarray::{concatenate, s, Array2, ArrayViewD, ArrayViewMutD, Axis};
use tapegrad::nn::{visit_children_params, visit_children_params_mut};
use tapegrad::prelude::*;
use tapegrad::train::evaluate;

/// The feature columns, categorical first: their order in the feature matrix.
const COLUMNS: [&str; 6] =
    ["island", "sex", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"];

/// Island and sex, each looked up in its own embedding table, beside the measurements.
struct PenguinNet {
    island: Embedding<f32>,
    sex: Embedding<f32>,
    body: Sequential<f32>,
}

impl PenguinNet {
    fn new(islands: usize, sexes: usize, rng: &mut StdRng) -> Result<Self, NnError> {
        let width = 2 + 1 + 4;
        Ok(PenguinNet {
            island: Embedding::new(islands, 2, rng),
            sex: Embedding::new(sexes, 1, rng),
            body: Sequential::new()
                .add(Dense::with_init(width, 16, Init::HeUniform, Some(Init::Zeros), rng))
                .add(LayerNorm::new(16))
                .add(ReLU)
                .add(Dropout::new(0.1, 5)?)
                .add(Dense::new(16, 3, rng)),
        })
    }
}

// A composite names its children once (`visit_children` and its `_mut` twin); its
// parameters, buffers (none here: LayerNorm keeps no running statistics), Dropout's random
// state and the training mode all follow from them.
impl Parameters<f32> for PenguinNet {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f32>)) {
        visit_children_params(self, visit);
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f32>)) {
        visit_children_params_mut(self, visit);
    }
}

impl Module<f32> for PenguinNet {
    fn forward<'t>(&'t self, tape: &'t Tape<'t, f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>, NnError> {
        let rows = x.shape()[0];
        let island = self.island.forward(tape, x.slice_axis(1, 0..1))?.reshape(&[rows, 2]);
        let sex = self.sex.forward(tape, x.slice_axis(1, 1..2))?.reshape(&[rows, 1]);
        let measurements = x.slice_axis(1, 2..6);
        self.body.forward(tape, Var::concat(&[island, sex, measurements], 1))
    }
    fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<f32>)) {
        visit("island", &self.island);
        visit("sex", &self.sex);
        visit("body", &self.body);
    }
    fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<f32>)) {
        visit("island", &mut self.island);
        visit("sex", &mut self.sex);
        visit("body", &mut self.body);
    }
}

/// `history` with `other`'s epoch durations (wall-clock time is the one thing a resumed
/// run cannot repeat), to compare everything else.
fn history_without_times(history: &History, other: &History) -> History {
    let mut same = history.clone();
    for (epoch, theirs) in same.epochs.iter_mut().zip(&other.epochs) {
        epoch.duration = theirs.duration;
    }
    same
}

/// The same rows with the measurement columns (2..6) standardised by `standardizer`.
fn standardise(data: &Dataset<f32>, standardizer: &Standardizer<f32>) -> Result<Dataset<f32>, DataError> {
    let features = data.features();
    let measurements = standardizer.transform(&features.slice(s![.., 2..]))?;
    let features: Array2<f32> = concatenate(Axis(1), &[features.slice(s![.., ..2]), measurements.view()])
        .map_err(|e| DataError::InvalidArgument { context: "standardise", reason: e.to_string() })?;
    data.clone().with_features(features)
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table: CsvTable<f32> = CsvOptions::new()
        .header(true)
        .target("species")
        .features(COLUMNS)
        .categorical(["species", "island", "sex"])
        .missing(["NA"])
        .load_table(root.join("data/penguins.csv"))?;
    let species = table.class_names().ok_or("species has names")?.to_vec();
    let islands = table.categories("island").ok_or("island is categorical")?.to_vec();
    let sexes = table.categories("sex").ok_or("sex is categorical")?.to_vec();
    println!(
        "penguins: {} birds kept, {} dropped for a missing value (lines {:?})",
        table.dataset().len(),
        table.dropped_lines().len(),
        table.dropped_lines()
    );
    println!("  species {species:?}; island {islands:?}; sex {sexes:?}");

    let mut rng = StdRng::seed_from_u64(0);
    let (train, test) = table.dataset().split_stratified(0.2, &mut rng)?;
    let (train, validation) = train.split_stratified(0.2, &mut rng)?;
    let standardizer = Standardizer::fit(&train.features().slice(s![.., 2..]))?;
    let (train, validation, test) = (
        standardise(&train, &standardizer)?,
        standardise(&validation, &standardizer)?,
        standardise(&test, &standardizer)?,
    );
    println!("  train {} / validation {} / test {}", train.len(), validation.len(), test.len());

    // Every model below starts from the same initial weights.
    let build = || PenguinNet::new(islands.len(), sexes.len(), &mut StdRng::seed_from_u64(1));
    let adam = || Adam::builder().learning_rate(0.01).build();
    let mut model = build()?;
    println!("model: {} parameters, named {:?}", model.param_count(), model.param_names());
    let trainer = Trainer::new()
        .epochs(60)
        .batch_size(16)
        .quiet(true)
        .progress(Progress::Off)
        .monitor(Monitor::Validation(Metric::Accuracy))
        .early_stopping(20, 0.0)
        .restore_best_weights(true);
    let history = trainer.fit(&mut model, &mut adam()?, &train, Some(&validation))?;
    model.set_training(false);
    let (test_loss, test_accuracy) = evaluate(&model, &test)?;
    println!(
        "trained {} epochs (early stopping on the validation accuracy, best epoch kept): \
         test accuracy {:.1}% (loss {test_loss:.4})",
        history.epochs.len(),
        100.0 * test_accuracy
    );

    // The same run, checkpointed every epoch and "killed" after 10 epochs; then a fresh
    // model and optimizer (as a new process would have) resume it from the files.
    let dir = root.join("target/penguins-run");
    let _ = std::fs::remove_dir_all(&dir);
    let checkpointed = trainer.clone().checkpoint_every_epoch(&dir).resume(true);
    checkpointed.clone().epochs(10).fit(&mut build()?, &mut adam()?, &train, Some(&validation))?;
    let mut resumed = build()?;
    let again = checkpointed.fit(&mut resumed, &mut adam()?, &train, Some(&validation))?;
    let weights = |m: &PenguinNet| {
        let mut all = Vec::new();
        m.visit_params(&mut |_, p| all.extend(p.iter().map(|v| v.to_bits())));
        all
    };
    let identical = weights(&resumed) == weights(&model) && again == history_without_times(&history, &again);
    println!(
        "interrupted after 10 epochs and resumed from {}: {} epochs, weights bit-identical to the uninterrupted run: {}",
        dir.display(),
        again.epochs.len(),
        if identical { "yes" } else { "NO" }
    );
    if !identical {
        return Err("the resumed run differs from the uninterrupted one".into());
    }

    println!("learned island vectors:");
    for (name, row) in islands.iter().zip(model.island.weight.outer_iter()) {
        println!("  {name:<10} [{:>6.3}, {:>6.3}]", row[0], row[1]);
    }

    let path = root.join("target/penguins.safetensors");
    std::fs::create_dir_all(root.join("target"))?;
    save_weights(&model, &path)?;
    let mut reloaded = PenguinNet::new(islands.len(), sexes.len(), &mut StdRng::seed_from_u64(99))?;
    load_weights(&mut reloaded, &path)?;
    reloaded.set_training(false);
    let (_, again) = evaluate(&reloaded, &test)?;
    println!("saved to {}; reloaded into a fresh model: test accuracy {:.1}%", path.display(), 100.0 * again);
    if again != test_accuracy || test_accuracy < 0.95 {
        return Err(
            format!("expected ≥ 95% and the same after reloading, got {test_accuracy} and {again}").into()
        );
    }
    Ok(())
}
