"""Chapter 05's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "05_gan"

_JSD = """\
def js_divergence(p, q):
    p, q = np.asarray(p, dtype="float64"), np.asarray(q, dtype="float64")
    m = (p + q) / 2

    def kl(a, b):
        nonzero = a > 0
        return float(np.sum(a[nonzero] * np.log(a[nonzero] / b[nonzero])))

{body}


print(js_divergence([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]))"""

_LOSSES = """\
def gan_losses(real_logits, fake_logits):
    a_real = np.asarray(real_logits, dtype="float64")
    a_fake = np.asarray(fake_logits, dtype="float64")
{body}
    return float(d_loss), float(g_non_saturating), float(g_minimax)


print(gan_losses([3.0, -1.0], [-2.0, 0.5]))"""
_NS = "    g_non_saturating = np.mean(np.logaddexp(0, -a_fake))\n"
_MM = "    g_minimax = -np.mean(np.logaddexp(0, a_fake))\n"
_D = "    d_loss = np.mean(np.logaddexp(0, -a_real)) + np.mean(np.logaddexp(0, a_fake))\n"

_GAN1D = """\
generator_1d = keras.Sequential([keras.Input((LATENT_DIM,)), layers.Dense(32, activation="relu"),
                                 layers.Dense(32, activation="relu"), layers.Dense(1{g_activation})])
discriminator_1d = keras.Sequential([keras.Input((1,)), layers.Dense(32, activation="relu"),
                                     layers.Dense(32, activation="relu"), layers.Dense(1)])
gan_1d = GAN(generator_1d, discriminator_1d, seed=0)
gan_1d.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
               g_optimizer=keras.optimizers.Adam({g_lr}, beta_1=0.5))
{fit}"""
_FIT = "history_1d = gan_1d.fit(real_1d, batch_size=128, epochs=8, verbose=0)"


def _gan1d(g_activation="", g_lr="1e-3", fit=_FIT):
    return _GAN1D.format(g_activation=g_activation, g_lr=g_lr, fit=fit)


WRONG = [
    # Exercise 1: Jensen-Shannon divergence
    wrong_answer("ex05-jsd-solution", "kl-instead-of-js", _JSD.format(body="    return kl(p, q + 1e-300)")),
    wrong_answer("ex05-jsd-solution", "halves-forgotten", _JSD.format(body="    return kl(p, m) + kl(q, m)")),
    wrong_answer("ex05-jsd-solution", "log-base-2",
                 _JSD.format(body="    return (0.5 * kl(p, m) + 0.5 * kl(q, m)) / np.log(2)")),
    wrong_answer("ex05-jsd-solution", "zero-terms-not-dropped", _JSD.format(body="""\
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))""")),
    wrong_answer("ex05-jsd-solution", "one-sided", _JSD.format(body="    return kl(p, m)")),
    # Exercise 2: the GAN losses from logits
    wrong_answer("ex05-losses-solution", "naive-probabilities", _LOSSES.format(body="""\
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s_real, s_fake = 1 / (1 + np.exp(-a_real)), 1 / (1 + np.exp(-a_fake))
        d_loss = -np.mean(np.log(s_real)) - np.mean(np.log(1 - s_fake))
        g_non_saturating = -np.mean(np.log(s_fake))
        g_minimax = np.mean(np.log(1 - s_fake))""")),
    wrong_answer("ex05-losses-solution", "minimax-sign-flipped",
                 _LOSSES.format(body=_D + _NS + "    g_minimax = np.mean(np.logaddexp(0, a_fake))")),
    wrong_answer("ex05-losses-solution", "fake-term-missing",
                 _LOSSES.format(body="    d_loss = np.mean(np.logaddexp(0, -a_real))\n" + _NS + _MM)),
    wrong_answer("ex05-losses-solution", "labels-swapped", _LOSSES.format(
        body="    d_loss = np.mean(np.logaddexp(0, a_real)) + np.mean(np.logaddexp(0, -a_fake))\n" + _NS + _MM)),
    wrong_answer("ex05-losses-solution", "minimax-equals-non-saturating",
                 _LOSSES.format(body=_D + _NS + "    g_minimax = g_non_saturating")),
    # Exercise 3: a GAN on numbers
    wrong_answer("ex05-gan1d-solution", "never-trained", _gan1d(fit="")),
    wrong_answer("ex05-gan1d-solution", "tanh-output", _gan1d(g_activation=', activation="tanh"')),
    wrong_answer("ex05-gan1d-solution", "generator-frozen", _gan1d(g_lr="0.0")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)
