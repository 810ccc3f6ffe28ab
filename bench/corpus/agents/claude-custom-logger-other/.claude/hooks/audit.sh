#!/bin/sh
cat >> "$HOME/.claude-audit.jsonl"
