"""Chapter 07's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "07_quantization_aware_training"

_INT8_FC = """\
def int8_fully_connected(x_q, x_zero_point, x_scale, w_q, w_scales, b_q, y_scale, y_zero_point):
{body}"""

_PRUNE_INT8 = """\
converter = tf.lite.TFLiteConverter.from_keras_model({model})
{settings}tflite_pruned_int8 = qz.convert(converter)
print(f"{{len(tflite_pruned_int8):,}} bytes, gzip {{qz.gzip_size(tflite_pruned_int8):,}}")"""
_FULL_INT8 = """converter.optimizations = [tf.lite.Optimize.DEFAULT]
converter.representative_dataset = representative_dataset
"""
_INT8_ONLY = _FULL_INT8 + """converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
converter.inference_input_type = tf.int8
converter.inference_output_type = tf.int8
"""

_TWO_FOUR = """\
utils.seed_everything(SEEDS[0])
def prune_dense_2_4(layer):
    if isinstance(layer, L.Dense):
        return {prune_call}
    return layer


to_prune = compile_for(tf_keras.models.clone_model(copy_of(float_models[SEEDS[0]]), clone_function=prune_dense_2_4),
                       FINE_TUNE_LR)
{fit}model_2_4 = {strip}
print([type(layer).__name__ for layer in model_2_4.layers])"""
_FIT = """timed_fit(to_prune, FINE_TUNE_EPOCHS, "2:4 pruning", callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
"""


def _two_four(prune_call="tfmot.sparsity.keras.prune_low_magnitude(layer, sparsity_m_by_n=(2, 4))", fit=_FIT,
              strip="tfmot.sparsity.keras.strip_pruning(to_prune)"):
    return _TWO_FOUR.format(prune_call=prune_call, fit=fit, strip=strip)


WRONG = [
    # Exercise 1: an int8 dense layer in integers
    wrong_answer("ex07-int8-dense-solution", "forgot-input-zero-point", _INT8_FC.format(body="""\
    acc = x_q.astype(np.int32) @ w_q.astype(np.int32).T + b_q
    y = np.round(acc * (x_scale * w_scales / y_scale)) + y_zero_point
    return np.clip(y, -128, 127).astype(np.int8)""")),
    wrong_answer("ex07-int8-dense-solution", "forgot-bias", _INT8_FC.format(body="""\
    acc = (x_q.astype(np.int32) - x_zero_point) @ w_q.astype(np.int32).T
    y = np.round(acc * (x_scale * w_scales / y_scale)) + y_zero_point
    return np.clip(y, -128, 127).astype(np.int8)""")),
    wrong_answer("ex07-int8-dense-solution", "one-weight-scale", _INT8_FC.format(body="""\
    acc = (x_q.astype(np.int32) - x_zero_point) @ w_q.astype(np.int32).T + b_q
    y = np.round(acc * (x_scale * w_scales.max() / y_scale)) + y_zero_point
    return np.clip(y, -128, 127).astype(np.int8)""")),
    wrong_answer("ex07-int8-dense-solution", "forgot-output-zero-point", _INT8_FC.format(body="""\
    acc = (x_q.astype(np.int32) - x_zero_point) @ w_q.astype(np.int32).T + b_q
    y = np.round(acc * (x_scale * w_scales / y_scale))
    return np.clip(y, -128, 127).astype(np.int8)""")),
    wrong_answer("ex07-int8-dense-solution", "truncates-instead-of-rounding", _INT8_FC.format(body="""\
    acc = (x_q.astype(np.int32) - x_zero_point) @ w_q.astype(np.int32).T + b_q
    y = (acc * (x_scale * w_scales / y_scale)).astype(np.int32) + y_zero_point
    return np.clip(y, -128, 127).astype(np.int8)""")),
    # Exercise 2: an integer-only file from the pruned model
    wrong_answer("ex07-prune-int8-solution", "unpruned-model",
                 _PRUNE_INT8.format(model="float_models[SEEDS[0]]", settings=_INT8_ONLY)),
    wrong_answer("ex07-prune-int8-solution", "the-50-percent-model",
                 _PRUNE_INT8.format(model="pruned_models[0.5][SEEDS[0]]", settings=_INT8_ONLY)),
    # section 3's settings: full int8 inside, but float32 in and out
    wrong_answer("ex07-prune-int8-solution", "float-input-and-output",
                 _PRUNE_INT8.format(model="pruned_models[0.8][SEEDS[0]]", settings=_FULL_INT8)),
    wrong_answer("ex07-prune-int8-solution", "int8-input-only", _PRUNE_INT8.format(
        model="pruned_models[0.8][SEEDS[0]]", settings=_FULL_INT8 + "converter.inference_input_type = tf.int8\n")),
    wrong_answer("ex07-prune-int8-solution", "dynamic-range-only", _PRUNE_INT8.format(
        model="pruned_models[0.8][SEEDS[0]]", settings="converter.optimizations = [tf.lite.Optimize.DEFAULT]\n")),
    # Exercise 3: 2:4 structured sparsity on the dense layers
    wrong_answer("ex07-two-four-solution", "unstructured-50-percent", _two_four(
        prune_call="tfmot.sparsity.keras.prune_low_magnitude(\n"
                   "            layer, pruning_schedule=tfmot.sparsity.keras.ConstantSparsity(0.5, begin_step=0))")),
    wrong_answer("ex07-two-four-solution", "whole-model", """\
utils.seed_everything(SEEDS[0])
to_prune = compile_for(tfmot.sparsity.keras.prune_low_magnitude(copy_of(float_models[SEEDS[0]]),
                                                                sparsity_m_by_n=(2, 4)), FINE_TUNE_LR)
timed_fit(to_prune, FINE_TUNE_EPOCHS, "2:4 pruning", callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
model_2_4 = tfmot.sparsity.keras.strip_pruning(to_prune)
print([type(layer).__name__ for layer in model_2_4.layers])"""),
    wrong_answer("ex07-two-four-solution", "not-stripped", _two_four(strip="to_prune")),
    wrong_answer("ex07-two-four-solution", "never-fine-tuned", _two_four(fit="")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)
