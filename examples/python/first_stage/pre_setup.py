"""Runs before experiment.py is imported (`pre_experiment: pre_setup.py`): environment variables, and heavy modules
faked while planning (the jobs import the real ones)."""
import os

from labrun.experiments import mock_modules

os.environ["TOKENIZERS_PARALLELISM"] = "false"
mock_modules(["torch", "transformers"], decorators=["torch.compile", "torch.no_grad"])
