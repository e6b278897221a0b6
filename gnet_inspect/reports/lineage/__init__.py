"""The Inception generations side by side: the result as plain data (``result``, torch-free),
read back from a saved file (``saved``), and measured (``compare.lineage``)."""
