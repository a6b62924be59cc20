/* model_deploy--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION model_deploy UPDATE TO '0.2'" to load this file. \quit

/*
 * Release 0.2.  A fresh CREATE EXTENSION of 0.2 runs model_deploy--0.1.sql
 * and then this script, so this file is both the upgrade and the second half
 * of the install: every statement must work on a database that has 0.1 with
 * deployed models in it.  The rules of model_deploy--0.1.sql hold here too
 * (schema-qualified with @extschema@ or pg_catalog; privileges as documented
 * at its top).  Each feature adds its own section below.
 */
