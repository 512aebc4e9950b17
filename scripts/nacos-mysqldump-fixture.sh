#!/bin/sh
# Makes test/fixtures/nacos-mysqldump.sql: a real mysqldump (MariaDB's mariadb-dump, default options)
# of a small Nacos 2.x database (schema after Nacos's distribution/conf/mysql-schema.sql; rows with
# quotes, backslashes, newlines, non-ASCII text, NULLs, a beta and a tag version, history, users with
# bcrypt hashes, roles and permissions). The import tests read the committed file, so they need no
# database; run this again (Debian: apt-get install mariadb-server) to regenerate it.
# Uses a throw-away server in a temp dir on a Unix socket only; nothing else is touched.
set -eu
out="${1:-$(dirname "$0")/../test/fixtures/nacos-mysqldump.sql}"
dir=$(mktemp -d)
sock="$dir/mysqld.sock"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal --user="$(id -un)" >/dev/null
mariadbd --no-defaults --datadir="$dir/data" --socket="$sock" --skip-networking --user="$(id -un)" --pid-file="$dir/pid" --log-error="$dir/err.log" &
pid=$!
i=0
until mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -gt 100 ] && { cat "$dir/err.log"; exit 1; }; sleep 0.2
done
sql() { mariadb --no-defaults --socket="$sock" -uroot --default-character-set=utf8mb4 "$@"; }
sql -e "CREATE DATABASE nacos CHARACTER SET utf8mb4"
sql nacos <<'SQL'
CREATE TABLE `config_info` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT, `data_id` varchar(255) NOT NULL, `group_id` varchar(128) DEFAULT NULL,
  `content` longtext NOT NULL, `md5` varchar(32) DEFAULT NULL,
  `gmt_create` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, `gmt_modified` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `src_user` text, `src_ip` varchar(50) DEFAULT NULL, `app_name` varchar(128) DEFAULT NULL, `tenant_id` varchar(128) DEFAULT '',
  `c_desc` varchar(256) DEFAULT NULL, `c_use` varchar(64) DEFAULT NULL, `effect` varchar(64) DEFAULT NULL, `type` varchar(64) DEFAULT NULL,
  `c_schema` text, `encrypted_data_key` varchar(1024) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`), UNIQUE KEY `uk_configinfo_datagrouptenant` (`data_id`,`group_id`,`tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_bin;
CREATE TABLE `config_info_beta` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT, `data_id` varchar(255) NOT NULL, `group_id` varchar(128) NOT NULL, `app_name` varchar(128) DEFAULT NULL,
  `content` longtext NOT NULL, `beta_ips` varchar(1024) DEFAULT NULL, `md5` varchar(32) DEFAULT NULL,
  `gmt_create` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, `gmt_modified` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `src_user` text, `src_ip` varchar(50) DEFAULT NULL, `tenant_id` varchar(128) DEFAULT '', `encrypted_data_key` varchar(1024) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_bin;
CREATE TABLE `config_info_tag` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT, `data_id` varchar(255) NOT NULL, `group_id` varchar(128) NOT NULL, `tenant_id` varchar(128) DEFAULT '',
  `tag_id` varchar(128) NOT NULL, `app_name` varchar(128) DEFAULT NULL, `content` longtext NOT NULL, `md5` varchar(32) DEFAULT NULL,
  `gmt_create` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, `gmt_modified` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `src_user` text, `src_ip` varchar(50) DEFAULT NULL, PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_bin;
CREATE TABLE `config_tags_relation` (
  `id` bigint(20) NOT NULL, `tag_name` varchar(128) NOT NULL, `tag_type` varchar(64) DEFAULT NULL, `data_id` varchar(255) NOT NULL,
  `group_id` varchar(128) NOT NULL, `tenant_id` varchar(128) DEFAULT '', `nid` bigint(20) NOT NULL AUTO_INCREMENT, PRIMARY KEY (`nid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_bin;
CREATE TABLE `his_config_info` (
  `id` bigint(20) unsigned NOT NULL, `nid` bigint(20) unsigned NOT NULL AUTO_INCREMENT, `data_id` varchar(255) NOT NULL,
  `group_id` varchar(128) NOT NULL, `app_name` varchar(128) DEFAULT NULL, `content` longtext NOT NULL, `md5` varchar(32) DEFAULT NULL,
  `gmt_create` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, `gmt_modified` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `src_user` text, `src_ip` varchar(50) DEFAULT NULL, `op_type` char(10) DEFAULT NULL, `tenant_id` varchar(128) DEFAULT '',
  `encrypted_data_key` varchar(1024) NOT NULL DEFAULT '', `publish_type` varchar(50) DEFAULT 'formal', `gray_name` varchar(50) DEFAULT NULL,
  `ext_info` longtext DEFAULT NULL, PRIMARY KEY (`nid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_bin;
CREATE TABLE `tenant_info` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT, `kp` varchar(128) NOT NULL, `tenant_id` varchar(128) default '', `tenant_name` varchar(128) default '',
  `tenant_desc` varchar(256) DEFAULT NULL, `create_source` varchar(32) DEFAULT NULL, `gmt_create` bigint(20) NOT NULL, `gmt_modified` bigint(20) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_bin;
CREATE TABLE `users` (`username` varchar(50) NOT NULL PRIMARY KEY, `password` varchar(500) NOT NULL, `enabled` boolean NOT NULL);
CREATE TABLE `roles` (`username` varchar(50) NOT NULL, `role` varchar(50) NOT NULL, UNIQUE INDEX `idx_user_role` (`username` ASC, `role` ASC) USING BTREE);
CREATE TABLE `permissions` (`role` varchar(50) NOT NULL, `resource` varchar(128) NOT NULL, `action` varchar(8) NOT NULL, UNIQUE INDEX `uk_role_permission` (`role`,`resource`,`action`) USING BTREE);

SET @yaml = 'server:\n  port: 8080\nname: "it''s \\\\ a \'test\'"\n# 中文 ✓\n';
INSERT INTO config_info (data_id, group_id, content, md5, gmt_create, gmt_modified, src_user, src_ip, app_name, tenant_id, c_desc, type)
VALUES ('app.yaml', 'DEFAULT_GROUP', @yaml, MD5(@yaml), '2026-11-20 08:00:00', '2026-11-21 09:30:00', 'nacos', '10.0.0.5', 'shop', '', 'the shop', 'yaml'),
       ('db.properties', 'G', 'url=jdbc:mysql://db\nuser=app', MD5('url=jdbc:mysql://db\nuser=app'), '2026-11-20 08:00:00', '2026-11-20 08:00:00', NULL, NULL, NULL, 'dev', NULL, 'properties');
INSERT INTO config_tags_relation (id, tag_name, tag_type, data_id, group_id, tenant_id) VALUES (1, 'web', NULL, 'app.yaml', 'DEFAULT_GROUP', '');
INSERT INTO config_info_beta (data_id, group_id, content, beta_ips, md5, gmt_modified, src_user, tenant_id) VALUES ('app.yaml', 'DEFAULT_GROUP', 'beta: true', '10.0.0.1,10.0.0.2', MD5('beta: true'), '2026-11-21 10:00:00', 'nacos', '');
INSERT INTO config_info_tag (data_id, group_id, tenant_id, tag_id, content, md5, gmt_modified) VALUES ('app.yaml', 'DEFAULT_GROUP', '', 'canary', 'tagged', MD5('tagged'), '2026-11-21 10:05:00');
INSERT INTO his_config_info (id, data_id, group_id, app_name, content, md5, gmt_create, gmt_modified, src_user, src_ip, op_type, tenant_id, publish_type)
VALUES (0, 'app.yaml', 'DEFAULT_GROUP', 'shop', 'server:\n  port: 80\n', MD5('server:\n  port: 80\n'), '2026-11-20 08:00:00', '2026-11-20 08:00:00', 'nacos', '10.0.0.5', 'I', '', 'formal'),
       (1, 'app.yaml', 'DEFAULT_GROUP', 'shop', 'server:\n  port: 80\n', MD5('server:\n  port: 80\n'), '2026-11-20 08:00:00', '2026-11-21 09:30:00', 'nacos', '10.0.0.5', 'U', '', 'formal'),
       (1, 'app.yaml', 'DEFAULT_GROUP', 'shop', 'beta: true', MD5('beta: true'), '2026-11-21 10:00:00', '2026-11-21 10:00:00', 'nacos', '10.0.0.5', 'I', '', 'gray'),
       (0, 'db.properties', 'G', NULL, 'url=jdbc:mysql://db\nuser=app', MD5('url=jdbc:mysql://db\nuser=app'), '2026-11-20 08:00:00', '2026-11-20 08:00:00', NULL, NULL, 'I', 'dev', NULL);
INSERT INTO tenant_info (kp, tenant_id, tenant_name, tenant_desc, create_source, gmt_create, gmt_modified) VALUES ('1', 'dev', 'Development', 'dev desc', 'nacos', 1763625600000, 1763625600000);
INSERT INTO users VALUES ('nacos', '$2a$10$EuWPZHzz32dJN7jexM34MOeYirDdFAZm2kuWj7VEOJhhZkDrxfvUu', TRUE);
INSERT INTO roles VALUES ('nacos', 'ROLE_ADMIN');
INSERT INTO permissions VALUES ('ROLE_ADMIN', 'dev:*:*', 'rw');
SQL
mariadb-dump --no-defaults --socket="$sock" -uroot --default-character-set=utf8mb4 nacos > "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
