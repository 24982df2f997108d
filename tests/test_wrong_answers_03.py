"""Chapter 03's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "03_cifar10_cnn"

_CONV = """\
def conv2d_output(height, width, channels, filters, kernel, stride=1, padding="valid"):
{body}


print(conv2d_output(32, 32, 3, 6, 5))"""

_TOPK = """\
def top_k_accuracy(scores, labels, k):
{body}


print({{k: round(top_k_accuracy(logits_tta, y_test, k), 4) for k in (1, 2, 3)}})"""

_FINETUNE = """\
EX3_EPOCHS = utils.by_mode(smoke=1, full=15)
utils.seed_everything(0)
ex3_backbone = make_backbone()
ex3_backbone.set_weights(pretrained_weights)
ex3_model = with_head(ex3_backbone, 1, bn_inference=True)
{body}
acc_ex3 = logit_accuracy(ex3_model, x_test[test_cd], y_test_cd)
print(f"last block fine-tuned: {{acc_ex3:.4f}}")"""

WRONG = [
    # Exercise 1: output size and parameters of a Conv2D
    wrong_answer("ex03-conv-solution", "valid-off-by-one", _CONV.format(body="""\
    if padding == "same":
        return -(-height // stride), -(-width // stride), kernel * kernel * channels * filters + filters
    return (height - kernel) // stride, (width - kernel) // stride, kernel * kernel * channels * filters + filters""")),
    wrong_answer("ex03-conv-solution", "same-rounds-down", _CONV.format(body="""\
    if padding == "same":
        return height // stride, width // stride, kernel * kernel * channels * filters + filters
    return ((height - kernel) // stride + 1, (width - kernel) // stride + 1,
            kernel * kernel * channels * filters + filters)""")),
    wrong_answer("ex03-conv-solution", "forgets-bias", _CONV.format(body="""\
    if padding == "same":
        return -(-height // stride), -(-width // stride), kernel * kernel * channels * filters
    return (height - kernel) // stride + 1, (width - kernel) // stride + 1, kernel * kernel * channels * filters""")),
    wrong_answer("ex03-conv-solution", "forgets-input-channels", _CONV.format(body="""\
    if padding == "same":
        return -(-height // stride), -(-width // stride), kernel * kernel * filters + filters
    return (height - kernel) // stride + 1, (width - kernel) // stride + 1, kernel * kernel * filters + filters""")),
    # Exercise 2: top-k accuracy
    wrong_answer("ex03-topk-solution", "lowest-scores", _TOPK.format(body="""\
    top = np.argsort(scores, axis=1)[:, :k]
    return float(np.mean(np.any(top == np.asarray(labels).reshape(-1, 1), axis=1)))""")),
    wrong_answer("ex03-topk-solution", "k-plus-one", _TOPK.format(body="""\
    top = np.argsort(scores, axis=1)[:, -(k + 1):]
    return float(np.mean(np.any(top == np.asarray(labels).reshape(-1, 1), axis=1)))""")),
    wrong_answer("ex03-topk-solution", "always-top-1", _TOPK.format(body="""\
    return float(np.mean(np.argmax(scores, axis=1) == np.asarray(labels).ravel()))""")),
    # Exercise 3: fine-tune only the last block
    wrong_answer("ex03-finetune-solution", "unfreezes-everything", _FINETUNE.format(body="""\
ex3_backbone.trainable = True
compile_binary(ex3_model, 1e-3)
ex3_model.fit(x_train[small], y_small, batch_size=50, epochs=EX3_EPOCHS, verbose=0)""")),
    wrong_answer("ex03-finetune-solution", "freezes-everything", _FINETUNE.format(body="""\
ex3_backbone.trainable = False
compile_binary(ex3_model, 1e-3)
ex3_model.fit(x_train[small], y_small, batch_size=50, epochs=EX3_EPOCHS, verbose=0)""")),
    wrong_answer("ex03-finetune-solution", "never-trains", _FINETUNE.format(body="""\
for layer in ex3_backbone.layers:
    layer.trainable = layer.name.startswith("block3")
compile_binary(ex3_model, 1e-3)""")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)
