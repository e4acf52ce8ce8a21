"""`gmbot generate`: specs/commands.yaml + openapi.yaml -> generated/ (see docs/spec.md).

yamlpos (YAML with positions) -> schema_check (the JSON Schema) -> openapi (OpenAPI 3.0
checks and index) -> checks, check_requests, check_cards, template_scan, targets/ (cross-checks,
each chat platform's limits) -> pipeline (render_model, templates/, models_gen) -> writer (atomic swap,
--check diff). cli is the entry point.
"""
