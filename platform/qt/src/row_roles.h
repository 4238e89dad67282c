// A row of a list model as a map of its role names to their values, as QML's
// ListModel.get() gives it; empty for a row out of range.
#pragma once

#include <QAbstractItemModel>
#include <QVariantMap>

namespace confab::qt {

inline QVariantMap rowRoles(const QAbstractItemModel& model, int row) {
  QVariantMap out;
  if (row < 0 || row >= model.rowCount()) return out;
  auto at = model.index(row, 0);
  auto names = model.roleNames();
  for (auto it = names.cbegin(); it != names.cend(); ++it) out.insert(QString::fromLatin1(it.value()), model.data(at, it.key()));
  return out;
}

}  // namespace confab::qt
