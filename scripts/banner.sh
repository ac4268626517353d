#!/bin/sh
# Printed by `make run` before the processes start: where to open the platform and who to log in as.
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

cat <<BANNER

==============================================================================
  重大项目全链条推进平台  http://${HOST}:${PORT}/
  API  http://${HOST}:${PORT}/api/v1/    文档 http://${HOST}:${PORT}/api/docs/
------------------------------------------------------------------------------
  演示账号（密码均为 Demo#2026）
  用户名            角色 / 单位
  province_office   省重大项目办（江苏省）
  city_office       无锡市重大项目办
  county_office     江阴市重大项目办（320281）
  county_filer      江阴市 县区填报人
  county_filer2     沭阳县（321322）县区填报人
  liaison           省自然资源厅 部门联络员
  enterprise        项目单位（江阴市）
  leader            省领导
  api_client        省级 API 客户端
  admin             系统管理员（超级用户）
------------------------------------------------------------------------------
  web + Celery worker + beat 同时运行；按 Ctrl-C 全部停止。
==============================================================================

BANNER
