"""Shared test settings: quiet progress bars, one torch thread per test worker."""
import os

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("UNLEARNKIT_DEVICE", "cpu")
