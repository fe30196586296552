#!/usr/bin/env bash
# One-shot import of the Shoplog data views and dashboard into Kibana (run by the `kibana-setup` service).
# `overwrite=true` makes it idempotent: re-running replaces the objects with the shipped ones.
set -euo pipefail
result=$(curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'kbn-xsrf: shoplog' \
  -X POST 'http://kibana:5601/api/saved_objects/_import?overwrite=true' \
  --form file=@/kibana/saved-objects.ndjson)
echo "$result"
# Fail loudly when Kibana reports an object it could not import.
echo "$result" | grep -q '"success":true'
