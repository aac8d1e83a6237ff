# Metadata lives in pyproject.toml. This shim exists so that `pip install -e .
# --no-use-pep517` can do a develop install, whose location is the checkout: mim
# finds mmfpn/.mim/{configs,tools} there (a PEP 660 editable install points mim
# at site-packages/mmfpn, which does not exist).
from setuptools import setup

setup()
