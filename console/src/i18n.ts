/** English and Chinese strings; the choice is kept in localStorage. Missing Chinese falls back to English. */
const en = {
  title: "tnacos console", login: "Log in", logout: "Log out", username: "User name", password: "Password", captcha: "Captcha",
  newCaptcha: "Another captcha", configs: "Configurations", services: "Services", namespaces: "Namespaces", users: "Users",
  roles: "Roles", permissions: "Permissions", cluster: "Cluster", namespace: "Namespace", search: "Search", create: "Create",
  edit: "Edit", delete: "Delete", history: "History", save: "Save", cancel: "Cancel", publish: "Publish", back: "Back",
  dataId: "Data ID", group: "Group", type: "Type", content: "Content", description: "Description", actions: "Actions",
  reviewDiff: "Review changes", confirmPublish: "Confirm publish", diffTitle: "Changes to publish (left: current, right: new)",
  noChange: "Nothing changed", rollback: "Roll back to this version", rollbackTitle: "Roll back (left: current, right: this version)",
  historyHint: "As in Nacos, each version holds the content as it was before its operation (an insert holds the inserted content).", view: "View", opType: "Operation", opUser: "By", time: "Time", confirmDelete: "Delete {0}?", deleted: "Deleted", published: "Published",
  serviceName: "Service", groupName: "Group", clusterCount: "Clusters", ipCount: "Instances", healthyCount: "Healthy",
  instances: "Instances", ip: "IP", port: "Port", weight: "Weight", healthy: "Healthy", enabled: "Enabled", ephemeral: "Ephemeral",
  cluster_: "Cluster", enable: "Enable", disable: "Disable", yes: "yes", no: "no", nsId: "Namespace ID", nsName: "Name",
  configCount: "Configs", role: "Role", resource: "Resource", action: "Action", add: "Add", member: "Member", address: "Address",
  state: "State", leader: "Leader", term: "Term", lastLogIndex: "Last log index", applied: "Applied", health: "Health",
  defaultPassword: "You are using the default admin password: change it on the Users page.", empty: "Nothing here yet",
  newPassword: "New password", changePassword: "Change password", readOnly: "read only", total: "Total", prev: "Previous", next: "Next",
  export: "Export", import: "Import", clone: "Clone", close: "Close", refresh: "Refresh", samePolicy: "When a config already exists",
  policyABORT: "abort the whole import", policySKIP: "skip it", policyOVERWRITE: "overwrite it", targetNamespace: "Target namespace",
  transferDone: "Done: {0} written, {1} skipped, {2} failed", release: "Release", releaseFormal: "Formal (everyone)",
  releaseBeta: "Beta (listed IPs)", releaseTag: "Tag", betaIps: "Beta IPs", tagName: "Tag name",
  betaActive: "A beta release is served to {0}", stopBeta: "Stop beta", listeners: "Listeners", upToDate: "Up to date",
  noListeners: "Nobody listens to this config now",
  createService: "Create service", protectThreshold: "Protect threshold", metadata: "Metadata", selector: "Selector",
  expression: "Expression", metadataLine: "Not a key=value line: {0}", subscribers: "Subscribers", app: "App", agent: "Agent",
  monitor: "Monitor", monitorHint: "This node, sampled every 2 seconds while the page is open (the last 5 minutes).",
  requestRate: "Request rate", latency: "Mean latency", connections: "Connections", pushes: "Pushes", pushAck: "push ack",
  pushAcked: "acked", pushFailed: "failed", pushPending: "pending", count: "count",
  resourceHelp: "namespace:group:name, * for anything", language: "中文",
};
type Key = keyof typeof en;
const zh: Partial<Record<Key, string>> = {
  title: "tnacos 控制台", login: "登录", logout: "退出", username: "用户名", password: "密码", captcha: "验证码", newCaptcha: "换一张",
  configs: "配置管理", services: "服务管理", namespaces: "命名空间", users: "用户", roles: "角色", permissions: "权限", cluster: "集群",
  namespace: "命名空间", search: "查询", create: "新建", edit: "编辑", delete: "删除", history: "历史版本", save: "保存", cancel: "取消",
  publish: "发布", back: "返回", dataId: "配置 ID", group: "分组", type: "格式", content: "内容", description: "描述", actions: "操作",
  reviewDiff: "对比变更", confirmPublish: "确认发布", diffTitle: "待发布的变更（左：当前，右：新）", noChange: "没有变更",
  rollback: "回滚到此版本", rollbackTitle: "回滚（左：当前，右：此版本）", historyHint: "与 Nacos 相同，每个版本保存该操作之前的内容（新增保存新增的内容）。", view: "查看", opType: "操作", opUser: "操作人", time: "时间",
  confirmDelete: "删除 {0}？", deleted: "已删除", published: "已发布", serviceName: "服务名", groupName: "分组", clusterCount: "集群数",
  ipCount: "实例数", healthyCount: "健康实例数", instances: "实例", ip: "IP", port: "端口", weight: "权重", healthy: "健康",
  enabled: "上线", ephemeral: "临时", cluster_: "集群", enable: "上线", disable: "下线", yes: "是", no: "否", nsId: "命名空间 ID",
  nsName: "名称", configCount: "配置数", role: "角色", resource: "资源", action: "动作", add: "添加", member: "节点", address: "地址",
  state: "状态", leader: "主节点", term: "任期", lastLogIndex: "最新日志", applied: "已应用", health: "健康",
  defaultPassword: "您正在使用默认管理员密码，请在用户页面修改。", empty: "暂无数据", newPassword: "新密码", changePassword: "修改密码",
  createService: "创建服务", protectThreshold: "保护阈值", metadata: "元数据", selector: "选择器",
  expression: "表达式", metadataLine: "不是 key=value 格式的行：{0}", subscribers: "订阅者", app: "应用", agent: "客户端",
  monitor: "监控", monitorHint: "本节点，页面打开期间每 2 秒采样一次（最近 5 分钟）。",
  requestRate: "请求速率", latency: "平均延迟", connections: "连接", pushes: "推送", pushAck: "推送确认",
  pushAcked: "已确认", pushFailed: "失败", pushPending: "待确认", count: "个",
  export: "导出", import: "导入", clone: "克隆", close: "关闭", refresh: "刷新", samePolicy: "配置已存在时",
  policyABORT: "终止导入", policySKIP: "跳过", policyOVERWRITE: "覆盖", targetNamespace: "目标命名空间",
  transferDone: "完成：写入 {0}，跳过 {1}，失败 {2}", release: "发布方式", releaseFormal: "正式（所有客户端）",
  releaseBeta: "Beta（指定 IP）", releaseTag: "标签", betaIps: "Beta IP", tagName: "标签名",
  betaActive: "Beta 版本正发布给 {0}", stopBeta: "停止 Beta", listeners: "监听查询", upToDate: "已是最新",
  noListeners: "当前没有客户端监听此配置",
  readOnly: "只读", total: "共", prev: "上一页", next: "下一页", resourceHelp: "命名空间:分组:名称，* 表示任意", language: "English",
};

export type Lang = "en" | "zh";
let lang: Lang = (localStorage.getItem("tnacos.lang") as Lang) === "zh" ? "zh" : "en";

export function getLang(): Lang {
  return lang;
}

export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem("tnacos.lang", l);
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
}

export function t(key: Key, ...args: string[]): string {
  const s = (lang === "zh" ? zh[key] : undefined) ?? en[key];
  return args.reduce((out, a, i) => out.replace(`{${i}}`, a), s);
}
