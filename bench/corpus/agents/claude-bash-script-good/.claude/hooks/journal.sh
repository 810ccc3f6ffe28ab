#!/bin/sh
exec handrail hook claude
