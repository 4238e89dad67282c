import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// Search across every conversation; a result opens its conversation (or thread) at it.
Popup {
    id: popup
    signal resultPicked(string conversationId, string messageId, string threadRootId)
    padding: 0
    modal: false
    focus: false  // the search field keeps the keyboard while results show
    closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutsideParent
    readonly property var results: app.search

    background: Rectangle {
        radius: 12
        color: Theme.raised
        border.width: 1
        border.color: Theme.divider
    }

    contentItem: ListView {
        id: list
        implicitHeight: Math.min(420, Math.max(56, contentHeight))
        clip: true
        model: popup.results
        ScrollBar.vertical: ScrollBar { }
        header: Text {
            width: list.width
            height: popup.results && popup.results.count === 0 ? 56 : 0
            visible: height > 0
            text: qsTr("No messages match.")
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
            color: Theme.textMuted
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallFontSize
        }
        delegate: Rectangle {
            required property string conversationId
            required property string conversationName
            required property string messageId
            required property string senderName
            required property string text
            required property var createdAt
            required property string threadRootId
            width: list.width
            height: resultColumn.implicitHeight + 16
            color: resultHover.hovered ? Theme.surface : "transparent"
            HoverHandler { id: resultHover }
            TapHandler {
                onTapped: {
                    const picked = [conversationId, messageId, threadRootId]
                    popup.close()
                    popup.resultPicked(picked[0], picked[1], picked[2])
                }
            }
            ColumnLayout {
                id: resultColumn
                anchors.left: parent.left
                anchors.right: parent.right
                anchors.verticalCenter: parent.verticalCenter
                anchors.leftMargin: 14
                anchors.rightMargin: 14
                spacing: 2
                Text {
                    text: "<b>" + Theme.plain(senderName) + "</b> in " + Theme.plain(conversationName) + "  ·  " + Qt.formatDateTime(createdAt, "MMM d, hh:mm")
                    textFormat: Text.StyledText
                    color: Theme.textMuted
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallFontSize
                }
                Text {
                    Layout.fillWidth: true
                    text: parent.parent.text
                    elide: Text.ElideRight
                    color: Theme.text
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSize
                }
            }
        }
    }
}
