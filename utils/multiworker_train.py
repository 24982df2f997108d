"""One worker of a ``MultiWorkerMirroredStrategy`` run on MNIST (chapter 08).

    python -m utils.multiworker_train --out DIR [--n-train 2000 --epochs 2 --batch 64 --lr 0.001 --one-gpu-each]

Every worker runs this same script. ``TF_CONFIG`` (set by ``utils.distributed.WorkerGroup`` here, by a cluster's
launcher elsewhere) lists all workers and says which one this is; worker 0 is the chief. The workers build the
same model inside the strategy's scope, each reads its shard of every global batch, they all-reduce their
gradients at every step, and each writes what it ends with: ``DIR/worker<i>.npz`` (its weights) and
``DIR/worker<i>.json`` (a summary).

Training uses a custom loop (``strategy.run`` / ``strategy.reduce``): in Keras 3.15 ``model.fit`` stops under
this strategy before its first step (keras-team/keras#20585). The worker checks that on a throw-away model first
and records the error in its summary, so a Keras release that fixes it shows up here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path


def make_model():
    """The chapter's classifier: 28×28 pixels → 128 ReLU units → 10 logits. Build it inside ``strategy.scope()``."""
    import keras

    return keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ], name="mnist_mlp")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m utils.multiworker_train",
                                     description="One worker of a MultiWorkerMirroredStrategy run on MNIST.")
    parser.add_argument("--out", type=Path, required=True, help="folder for worker<i>.npz and worker<i>.json")
    parser.add_argument("--n-train", type=int, default=2000, help="MNIST training images (every worker reads all)")
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64, help="GLOBAL batch size, split between the workers")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one-gpu-each", action="store_true",
                        help="several workers on one machine: worker i uses only GPU i (each needs its own)")
    return parser.parse_args(argv)


def keras_fit_error(strategy, dataset) -> str | None:
    """None if ``model.fit`` runs a step under ``strategy`` (on a throw-away model), else its error in one line."""
    import keras

    with strategy.scope():
        probe = make_model()
        probe.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    try:
        probe.fit(dataset, epochs=1, steps_per_epoch=1, verbose=0)
    except Exception as exc:  # noqa: BLE001 - reported, not handled
        message = re.sub(r"\(PerReplica:\{.*\}\)", "(PerReplica:{...})", str(exc), flags=re.DOTALL)
        return f"{type(exc).__name__}: {' '.join(message.split())[:160]}"
    return None


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    task = json.loads(os.environ["TF_CONFIG"])["task"]
    if args.one_gpu_each:  # before TensorFlow initialises its devices
        gpus = tf.config.list_physical_devices("GPU")
        if len(gpus) <= task["index"]:
            print(f"--one-gpu-each: worker {task['index']} has no GPU of its own ({len(gpus)} visible)", flush=True)
            return 2
        tf.config.set_visible_devices(gpus[task["index"]], "GPU")
    # Before any other TensorFlow call: the strategy reads TF_CONFIG, starts this worker's gRPC server and waits
    # until every worker in the cluster has started.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    print("cluster ready", flush=True)  # this worker's server is up (the others may still be starting)
    import keras
    import numpy as np

    from .datasets import load_mnist
    from .runmode import seed_everything

    seed_everything(args.seed)
    (x_train, y_train), (x_test, y_test) = load_mnist(args.n_train, args.n_test, seed=0)
    options = tf.data.Options()
    # Every worker reads the same arrays and keeps its own share of each global batch (DATA); a pipeline over
    # many files would rather give each worker its own files (FILE).
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train = (tf.data.Dataset.from_tensor_slices((x_train, y_train.astype("int32")))
             .shuffle(len(x_train), seed=args.seed).batch(args.batch, drop_remainder=True).with_options(options))
    fit_error = keras_fit_error(strategy, train)

    per_example_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    with strategy.scope():  # every variable (model and optimizer) is created here: one copy per worker
        model = make_model()
        optimizer = keras.optimizers.Adam(args.lr)
        optimizer.build(model.trainable_variables)

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            # Divide by the GLOBAL batch: the optimizer SUMS the gradients of all replicas.
            loss = tf.nn.compute_average_loss(per_example_loss(y, model(x, training=True)),
                                              global_batch_size=args.batch)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables,
                                      strict=True))
        return loss

    @tf.function
    def train_step(x, y):
        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(replica_step, args=(x, y)), axis=None)

    batches = strategy.experimental_distribute_dataset(train)
    losses, start = [], time.perf_counter()
    for _ in range(args.epochs):
        epoch_losses = [float(train_step(x, y)) for x, y in batches]
        losses.append(float(np.mean(epoch_losses)))
    seconds = time.perf_counter() - start
    logits = np.concatenate([keras.ops.convert_to_numpy(model(x_test[i:i + 500], training=False))
                             for i in range(0, len(x_test), 500)])
    test_accuracy = float(np.mean(logits.argmax(axis=1) == y_test))

    args.out.mkdir(parents=True, exist_ok=True)
    name = f"worker{task['index']}"
    np.savez(args.out / f"{name}.npz", *[keras.ops.convert_to_numpy(w) for w in model.weights])
    steps = args.epochs * (len(x_train) // args.batch)
    summary = {"task": task, "replicas": strategy.num_replicas_in_sync, "losses": losses,
               "test_accuracy": test_accuracy, "train_seconds": seconds, "steps": steps,
               "examples_per_second": steps * args.batch / seconds, "keras_fit_error": fit_error}
    (args.out / f"{name}.json").write_text(json.dumps(summary))
    print(f"{name}: {strategy.num_replicas_in_sync} replicas in sync, {steps} steps, "
          f"test accuracy {test_accuracy:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
