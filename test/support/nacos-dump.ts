/**
 * A dump of a Nacos database in mysqldump's form, written by hand after Nacos's mysql-schema.sql
 * (2.x config tables, a 1.x his_config_info without publish_type): two configs (one with three
 * versions of history, a beta and a tag), a deleted config with only history, namespace dev, users
 * nacos (Nacos's own hash of "nacos", ROLE_ADMIN), reader (ROLE_DEV_READER: read dev) and a disabled one.
 */
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";

/** Nacos's own hash of the password "nacos" (its mysql-schema.sql). */
const NACOS_HASH = "$2a$10$EuWPZHzz32dJN7jexM34MOeYirDdFAZm2kuWj7VEOJhhZkDrxfvUu";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");
/** A MySQL datetime `minutes` ago (UTC), as mysqldump prints it. */
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 19).replace("T", " ");
/** A string literal as mysqldump escapes it. */
const q = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/"/g, '\\"')}'`;

/** `badMd5`: app.yaml's md5 does not match its content. */
export function nacosDump(opts: { badMd5?: boolean } = {}): string {
  const quote = "it's\n\"q\"\\";
  const readerHash = bcrypt.hashSync("reader-pass", 10);
  return `-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40103 SET TIME_ZONE='+00:00' */;
DROP TABLE IF EXISTS \`config_info\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE \`config_info\` (
  \`id\` bigint NOT NULL AUTO_INCREMENT COMMENT 'id',
  \`data_id\` varchar(255) COLLATE utf8_bin NOT NULL COMMENT 'data_id',
  \`group_id\` varchar(128) COLLATE utf8_bin DEFAULT NULL,
  \`content\` longtext COLLATE utf8_bin NOT NULL COMMENT 'content',
  \`md5\` varchar(32) COLLATE utf8_bin DEFAULT NULL COMMENT 'md5',
  \`gmt_create\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  \`gmt_modified\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT '修改时间',
  \`src_user\` text COLLATE utf8_bin COMMENT 'source user',
  \`src_ip\` varchar(50) COLLATE utf8_bin DEFAULT NULL COMMENT 'source ip',
  \`app_name\` varchar(128) COLLATE utf8_bin DEFAULT NULL,
  \`tenant_id\` varchar(128) COLLATE utf8_bin DEFAULT '' COMMENT '租户字段',
  \`c_desc\` varchar(256) COLLATE utf8_bin DEFAULT NULL,
  \`c_use\` varchar(64) COLLATE utf8_bin DEFAULT NULL,
  \`effect\` varchar(64) COLLATE utf8_bin DEFAULT NULL,
  \`type\` varchar(64) COLLATE utf8_bin DEFAULT NULL,
  \`c_schema\` text COLLATE utf8_bin,
  \`encrypted_data_key\` text COLLATE utf8_bin NOT NULL COMMENT '秘钥',
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uk_configinfo_datagrouptenant\` (\`data_id\`,\`group_id\`,\`tenant_id\`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb3 COLLATE=utf8_bin COMMENT='config_info';
LOCK TABLES \`config_info\` WRITE;
/*!40000 ALTER TABLE \`config_info\` DISABLE KEYS */;
INSERT INTO \`config_info\` VALUES (1,'app.yaml','DEFAULT_GROUP','a: 3\\n','${opts.badMd5 ? md5("a: 4\n") : md5("a: 3\n")}','${ago(60)}','${ago(10)}','ops','10.1.1.1','shop','',NULL,NULL,NULL,'yaml',NULL,''),(2,'quote.txt','G',${q(quote)},'${md5(quote)}','${ago(50)}','${ago(50)}',NULL,NULL,'','dev','the ''quoted'' one',NULL,NULL,'text',NULL,_binary '');
/*!40000 ALTER TABLE \`config_info\` ENABLE KEYS */;
UNLOCK TABLES;
CREATE TABLE \`config_info_beta\` (
  \`id\` bigint NOT NULL AUTO_INCREMENT COMMENT 'id',
  \`data_id\` varchar(255) COLLATE utf8_bin NOT NULL COMMENT 'data_id',
  \`group_id\` varchar(128) COLLATE utf8_bin NOT NULL COMMENT 'group_id',
  \`app_name\` varchar(128) COLLATE utf8_bin DEFAULT NULL COMMENT 'app_name',
  \`content\` longtext COLLATE utf8_bin NOT NULL COMMENT 'content',
  \`beta_ips\` varchar(1024) COLLATE utf8_bin DEFAULT NULL COMMENT 'betaIps',
  \`md5\` varchar(32) COLLATE utf8_bin DEFAULT NULL COMMENT 'md5',
  \`gmt_create\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  \`gmt_modified\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  \`src_user\` text COLLATE utf8_bin COMMENT 'source user',
  \`src_ip\` varchar(50) COLLATE utf8_bin DEFAULT NULL COMMENT 'source ip',
  \`tenant_id\` varchar(128) COLLATE utf8_bin DEFAULT '',
  \`encrypted_data_key\` text COLLATE utf8_bin NOT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8_bin;
INSERT INTO \`config_info_beta\` VALUES (1,'app.yaml','DEFAULT_GROUP',NULL,0x626574613A20747275650A,'10.0.0.1','${md5("beta: true\n")}','${ago(9)}','${ago(9)}','ops','10.1.1.1','','');
CREATE TABLE \`config_info_tag\` (
  \`id\` bigint NOT NULL AUTO_INCREMENT,
  \`data_id\` varchar(255) NOT NULL,
  \`group_id\` varchar(128) NOT NULL,
  \`tenant_id\` varchar(128) DEFAULT '',
  \`tag_id\` varchar(128) NOT NULL,
  \`app_name\` varchar(128) DEFAULT NULL,
  \`content\` longtext NOT NULL,
  \`md5\` varchar(32) DEFAULT NULL,
  \`gmt_create\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  \`gmt_modified\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  \`src_user\` text,
  \`src_ip\` varchar(50) DEFAULT NULL,
  PRIMARY KEY (\`id\`)
);
INSERT INTO \`config_info_tag\` VALUES (1,'app.yaml','DEFAULT_GROUP','','canary',NULL,'tagged\\n','${md5("tagged\n")}','${ago(8)}','${ago(8)}',NULL,NULL);
CREATE TABLE \`his_config_info\` (
  \`id\` bigint unsigned NOT NULL,
  \`nid\` bigint unsigned NOT NULL AUTO_INCREMENT,
  \`data_id\` varchar(255) NOT NULL,
  \`group_id\` varchar(128) NOT NULL,
  \`app_name\` varchar(128) DEFAULT NULL COMMENT 'app_name',
  \`content\` longtext NOT NULL,
  \`md5\` varchar(32) DEFAULT NULL,
  \`gmt_create\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  \`gmt_modified\` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  \`src_user\` text,
  \`src_ip\` varchar(50) DEFAULT NULL,
  \`op_type\` char(10) DEFAULT NULL,
  \`tenant_id\` varchar(128) DEFAULT '',
  PRIMARY KEY (\`nid\`),
  KEY \`idx_gmt_create\` (\`gmt_create\`)
) ENGINE=InnoDB AUTO_INCREMENT=6 DEFAULT CHARSET=utf8mb3 COLLATE=utf8_bin COMMENT='多租户改造';
INSERT INTO \`his_config_info\` VALUES (0,1,'app.yaml','DEFAULT_GROUP','shop','a: 1\\n','${md5("a: 1\n")}','${ago(30)}','${ago(30)}','ops','10.1.1.1','I',''),(1,2,'app.yaml','DEFAULT_GROUP','shop','a: 1\\n','${md5("a: 1\n")}','${ago(20)}','${ago(20)}','ops','10.1.1.1','U',''),(1,3,'app.yaml','DEFAULT_GROUP','shop','a: 2\\n','${md5("a: 2\n")}','${ago(10)}','${ago(10)}','ops','10.1.1.1','U',''),
(0,4,'gone','DEFAULT_GROUP','','x','${md5("x")}','${ago(40)}','${ago(40)}',NULL,NULL,'I',''),(5,5,'gone','DEFAULT_GROUP','','x','${md5("x")}','${ago(35)}','${ago(35)}','ops',NULL,'D','');
CREATE TABLE \`tenant_info\` (
  \`id\` bigint NOT NULL AUTO_INCREMENT COMMENT 'id',
  \`kp\` varchar(128) NOT NULL COMMENT 'kp',
  \`tenant_id\` varchar(128) DEFAULT '' COMMENT 'tenant_id',
  \`tenant_name\` varchar(128) DEFAULT '' COMMENT 'tenant_name',
  \`tenant_desc\` varchar(256) DEFAULT NULL COMMENT 'tenant_desc',
  \`create_source\` varchar(32) DEFAULT NULL COMMENT 'create_source',
  \`gmt_create\` bigint NOT NULL COMMENT '创建时间',
  \`gmt_modified\` bigint NOT NULL COMMENT '修改时间',
  PRIMARY KEY (\`id\`)
);
INSERT INTO \`tenant_info\` VALUES (1,'1','dev','Development','the dev namespace','nacos',1700000000000,1700000000000);
CREATE TABLE \`users\` (
  \`username\` varchar(50) NOT NULL,
  \`password\` varchar(500) NOT NULL,
  \`enabled\` tinyint(1) NOT NULL,
  PRIMARY KEY (\`username\`)
);
INSERT INTO \`users\` VALUES ('nacos','${NACOS_HASH}',1),('off','${NACOS_HASH}',0),('reader','${readerHash}',1);
CREATE TABLE \`roles\` (
  \`username\` varchar(50) NOT NULL,
  \`role\` varchar(50) NOT NULL,
  UNIQUE KEY \`idx_user_role\` (\`username\`,\`role\`) USING BTREE
);
INSERT INTO \`roles\` VALUES ('nacos','ROLE_ADMIN'),('off','ROLE_ADMIN'),('reader','ROLE_DEV_READER');
CREATE TABLE \`permissions\` (
  \`role\` varchar(50) NOT NULL,
  \`resource\` varchar(128) NOT NULL,
  \`action\` varchar(8) NOT NULL,
  UNIQUE KEY \`uk_role_permission\` (\`role\`,\`resource\`,\`action\`) USING BTREE
);
INSERT INTO \`permissions\` VALUES ('ROLE_DEV_READER','dev:*:*','r');
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
-- Dump completed on ${ago(0)}
`;
}

