"""Chapter 08's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "08_mirrored_strategy"

_COMBINE = """\
def combine_replica_gradients(replica_grads, shard_sizes):
    grads = [np.asarray(g, dtype="float64") for g in replica_grads]
{body}


print(combine_replica_gradients([np.array([1.0, 2.0]), np.array([4.0, 8.0])], [3, 1]))"""

_SCALE = """\
EX2_PER_REPLICA = 96
EX2_EPOCHS = utils.by_mode(smoke=2, full=3)
utils.seed_everything(0)
ex2_global = EX2_PER_REPLICA * many.num_replicas_in_sync
with many.scope():
    scaled = compile_model(make_model(), {lr})
{fit}
acc_scaled = scaled.evaluate(test_ds, verbose=0, return_dict=True)["accuracy"]
print(f"test accuracy {{acc_scaled:.4f}}")"""
_FIT = "scaled.fit(x_train, y_train, batch_size={batch}, epochs=EX2_EPOCHS, verbose=0)"
_RIGHT_LR = "BASE_LR * ex2_global / BASE_BATCH"


def _scale(lr=_RIGHT_LR, batch="ex2_global", fit=True):
    return _SCALE.format(lr=lr, fit=_FIT.format(batch=batch) if fit else "")


_ACCURACY = """\
def distributed_accuracy(strategy, model, x, y, global_batch=256):
    batches = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch))

    def replica_counts(xr, yr):
        predicted = keras.ops.argmax(model(xr, training=False), axis=1)
        correct = keras.ops.sum(keras.ops.cast(predicted == keras.ops.cast(yr, predicted.dtype), "float32"))
        return correct, keras.ops.cast(keras.ops.shape(yr)[0], "float32")

{body}


print(f"{{distributed_accuracy(many, same['model'], x_test, y_test):.4f}}")"""

WRONG = [
    # Exercise 1: combine per-replica gradients
    wrong_answer("ex08-combine-solution", "plain-sum", _COMBINE.format(body="""\
    return sum(grads)""")),
    wrong_answer("ex08-combine-solution", "unweighted-mean", _COMBINE.format(body="""\
    return sum(grads) / len(grads)""")),
    wrong_answer("ex08-combine-solution", "weighted-sum-not-divided", _COMBINE.format(body="""\
    return sum(n * g for n, g in zip(shard_sizes, grads))""")),
    wrong_answer("ex08-combine-solution", "inverse-weights", _COMBINE.format(body="""\
    inverse = 1.0 / np.asarray(shard_sizes, dtype="float64")
    return sum(w * g for w, g in zip(inverse / inverse.sum(), grads))""")),
    # Exercise 2: scale out to a bigger global batch
    wrong_answer("ex08-scale-solution", "per-replica-batch-passed-to-fit", _scale(batch="EX2_PER_REPLICA")),
    wrong_answer("ex08-scale-solution", "learning-rate-not-scaled", _scale(lr="BASE_LR")),
    wrong_answer("ex08-scale-solution", "learning-rate-times-replicas",
                 _scale(lr="BASE_LR * many.num_replicas_in_sync")),
    wrong_answer("ex08-scale-solution", "never-trained", _scale(fit=False)),
    # Exercise 3: a distributed evaluation
    wrong_answer("ex08-accuracy-solution", "mean-of-replica-accuracies", _ACCURACY.format(body="""\
    def replica_accuracy(xr, yr):
        correct, seen = replica_counts(xr, yr)
        return correct / seen

    accuracies = []
    for xb, yb in batches:
        accuracy = strategy.run(replica_accuracy, args=(xb, yb))
        accuracies.append(float(strategy.reduce(tf.distribute.ReduceOp.MEAN, accuracy, axis=None)))
    return float(np.mean(accuracies))""")),
    wrong_answer("ex08-accuracy-solution", "first-replica-only", _ACCURACY.format(body="""\
    correct = seen = 0.0
    for xb, yb in batches:
        c, n = strategy.run(replica_counts, args=(xb, yb))
        correct += float(strategy.experimental_local_results(c)[0])
        seen += float(strategy.experimental_local_results(n)[0])
    return correct / seen""")),
    wrong_answer("ex08-accuracy-solution", "nominal-batch-size", _ACCURACY.format(body="""\
    correct = steps = 0.0
    for xb, yb in batches:
        c, _ = strategy.run(replica_counts, args=(xb, yb))
        correct += float(strategy.reduce(tf.distribute.ReduceOp.SUM, c, axis=None))
        steps += 1
    return correct / (steps * global_batch)""")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)
