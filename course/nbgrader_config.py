# nbgrader configuration for a course built from the keras-course chapters (`make course`, then see course/README.md).
c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "keras-course"
# One assignment per chapter: source/<chapter>/<chapter>.ipynb, e.g. source/02_mnist_mlp/02_mnist_mlp.ipynb.
c.CourseDirectory.root = "."

# nbgrader's default limit is 30 s per cell. In full mode (the default COURSE_MODE) chapters train for minutes in a
# single cell, and the graded notebooks came back with CellTimeoutError/KeyboardInterrupt. One hour per cell covers
# every chapter's full-mode run on a 2-core CPU; grading in smoke mode (COURSE_MODE=smoke) needs far less.
c.Execute.timeout = 3600
c.Execute.interrupt_on_timeout = True

# The stub a learner replaces, the same as in the course's workbook copies.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
