-- Schema version 2: what a session is, readable by a DBA. kind is link,
-- device or sign_in; authenticated_at is when its chain was authenticated
-- (MaxTTL counts from it); link_id is the link a device session was
-- exchanged from; device_label names the browser. Rows written before this
-- version have NULL there: their record holds the truth (a link
-- authenticated at its creation).

ALTER TABLE {{table}}
	ADD COLUMN kind             text,
	ADD COLUMN authenticated_at timestamptz,
	ADD COLUMN link_id          uuid,
	ADD COLUMN device_label     text;

CREATE INDEX "{{name}}_link_id_idx" ON {{table}} (link_id) WHERE link_id IS NOT NULL;
