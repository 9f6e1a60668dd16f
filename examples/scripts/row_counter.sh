#!/bin/sh
# Counts the data rows of every file in the `input` channel and writes counts.txt to `output`.
# A command-adapter script: its channels arrive as SF_INPUT_<NAME> / SF_OUTPUT_<NAME>.
set -eu
: "${SF_INPUT_INPUT:?SF_INPUT_INPUT is not set}"
: "${SF_OUTPUT_OUTPUT:?SF_OUTPUT_OUTPUT is not set}"
total=0
for f in "$SF_INPUT_INPUT"/*; do
    rows=$(($(wc -l < "$f") - 1))
    echo "$(basename "$f") $rows" >> "$SF_OUTPUT_OUTPUT/counts.txt"
    total=$((total + rows))
done
echo "total $total" >> "$SF_OUTPUT_OUTPUT/counts.txt"
echo "counted $total rows"
