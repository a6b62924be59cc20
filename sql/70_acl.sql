--------------------------------------------------------------------------
-- Privileges: per-model scoring rights (deployment from server files is
-- in sql/20_deploy.sql)
--------------------------------------------------------------------------

-- One row per restricted model: the roles that may score it (and roles
-- with their privileges).  A model without a row is open to every role;
-- an empty list leaves it to superusers.  Read by the C code (acl.c)
-- once per call site, without permission checks, like the versions.
CREATE TABLE @extschema@.model_acl (
	name		text COLLATE "C" PRIMARY KEY
		CHECK (pg_catalog.length(name) BETWEEN 1 AND 63),
	roles		regrole[] NOT NULL,
	changed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	changed_by	name NOT NULL DEFAULT SESSION_USER
) WITH (vacuum_truncate = false, toast.vacuum_truncate = false);

COMMENT ON TABLE @extschema@.model_acl IS
	'Roles that may score each restricted model; models without a row are open';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.model_acl', '');

REVOKE ALL ON @extschema@.model_acl FROM PUBLIC;

-- the same invalidation as the versions: call sites bind again
CREATE TRIGGER acl_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_acl
	FOR EACH STATEMENT EXECUTE FUNCTION model_deploy_internal._registry_changed();

-- The role a grant names: 'public' (NULL here) or an existing role.
CREATE FUNCTION model_deploy_internal._grantee(model text, role name)
RETURNS regrole
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantee regrole;
BEGIN
	IF model IS NULL OR role IS NULL THEN
		RAISE EXCEPTION 'model name and role must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.model_version v
				   WHERE v.name OPERATOR(pg_catalog.=) model) THEN
		RAISE EXCEPTION 'model "%" does not exist', model
			USING ERRCODE = 'undefined_object',
				  HINT = 'Deploy it first; deploy and grant in one transaction leave no moment when it is open.';
	END IF;
	IF role OPERATOR(pg_catalog.=) 'public' THEN
		RETURN NULL;
	END IF;
	SELECT r.oid::pg_catalog.regrole INTO grantee
	  FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role;
	IF grantee IS NULL THEN
		RAISE EXCEPTION 'role "%" does not exist', role
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN grantee;
END
$$;

REVOKE ALL ON FUNCTION model_deploy_internal._grantee(text, name) FROM PUBLIC;

-- Let a role score a model.  The first grant restricts an open model to
-- the granted role; granting to 'public' opens it to everyone again.
CREATE FUNCTION @extschema@.grant_model(name text, role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantee regrole := model_deploy_internal._grantee(name, role);
BEGIN
	IF grantee IS NULL THEN
		DELETE FROM @extschema@.model_acl a
		 WHERE a.name OPERATOR(pg_catalog.=) grant_model.name;
		RETURN;
	END IF;
	INSERT INTO @extschema@.model_acl AS a (name, roles)
	VALUES (grant_model.name, ARRAY[grantee])
	ON CONFLICT ON CONSTRAINT model_acl_pkey DO UPDATE
		SET roles = a.roles OPERATOR(pg_catalog.||) grantee,
			changed_at = pg_catalog.now(), changed_by = SESSION_USER
		WHERE NOT grantee OPERATOR(pg_catalog.=) ANY (a.roles);
END
$$;

REVOKE ALL ON FUNCTION @extschema@.grant_model(text, name) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.grant_model(text, name) IS
	'Allow a role (or ''public'': everyone) to score a model';

-- Take a role's right to score a model away.  The model stays restricted
-- when its last role goes (to superusers only); revoking from 'public'
-- restricts an open model without allowing anyone.
CREATE FUNCTION @extschema@.revoke_model(name text, role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantee regrole := model_deploy_internal._grantee(name, role);
BEGIN
	IF grantee IS NULL THEN
		INSERT INTO @extschema@.model_acl (name, roles)
		VALUES (revoke_model.name, '{}')
		ON CONFLICT ON CONSTRAINT model_acl_pkey DO NOTHING;
		RETURN;
	END IF;
	UPDATE @extschema@.model_acl a
	   SET roles = pg_catalog.array_remove(a.roles, grantee),
		   changed_at = pg_catalog.now(), changed_by = SESSION_USER
	 WHERE a.name OPERATOR(pg_catalog.=) revoke_model.name
	   AND grantee OPERATOR(pg_catalog.=) ANY (a.roles);
	IF FOUND THEN
		RETURN;
	ELSIF EXISTS (SELECT FROM @extschema@.model_acl a
				  WHERE a.name OPERATOR(pg_catalog.=) revoke_model.name) THEN
		RAISE NOTICE 'role "%" had no grant on model "%"', role, name;
	ELSE
		RAISE NOTICE 'model "%" is open to every role', name
			USING HINT = 'Revoke it from ''public'' to restrict it, then grant it to the roles that may score it.';
	END IF;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.revoke_model(text, name) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.revoke_model(text, name) IS
	'Take away a role''s right (or everyone''s: ''public'') to score a model';
